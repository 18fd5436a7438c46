// Content-filter annotations on the wire. Azure sends prompt_filter_results with every completion
// and the first stream chunk, one entry per prompt; an entry's content_filter_results is what the
// deployment's policy found (empty when no filter ran, e.g. legacy completions today).

export function promptFilterResults(results: object[] = [{}]) {
  return results.map((r, i) => ({ prompt_index: i, content_filter_results: r }));
}
