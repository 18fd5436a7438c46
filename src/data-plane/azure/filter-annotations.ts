// Content-filter annotations. Azure sends prompt_filter_results with every completion and the
// first stream chunk. Until a deployment has a content-filter policy (the safety stage), no
// filter has run, and the annotations say exactly that: an empty result per prompt.

export function promptFilterResults(prompts = 1) {
  return Array.from({ length: prompts }, (_, i) => ({ prompt_index: i, content_filter_results: {} }));
}
