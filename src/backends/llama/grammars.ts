// Grammars for constrained output, from node-llama-cpp: its generic JSON grammar for json_object,
// and its JSON-schema grammar for json_schema with one correction. Its number rules allow an
// exponent ("12e-1", "7e400"), which JSON.parse reads as a fraction or as Infinity: an "integer"
// that is not one, a "number" that JSON Schema validators refuse. Without the exponent, integers
// are integers and numbers are finite (at most 16 digits before the point).

import type { GbnfJsonSchema, Llama, LlamaGrammar } from 'node-llama-cpp';

const NUMBER_RULES: Record<string, string> = {
  'integer-number-rule': '"-"? ("0" | [1-9] [0-9]{0,15})',
  'fractional-number-rule': '"-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})?',
};

/** Rewrites the number rules of a grammar node-llama-cpp generated from a JSON schema. */
export function withoutExponents(gbnf: string): string {
  return gbnf.replace(/^(integer-number-rule|fractional-number-rule) ::= .*$/gm, (_line, rule: string) => `${rule} ::= ${NUMBER_RULES[rule]!}`);
}

export async function schemaGrammar(llama: Llama, schema: Record<string, unknown>): Promise<LlamaGrammar> {
  const generated = await llama.createGrammarForJsonSchema(schema as Readonly<GbnfJsonSchema> as never);
  return llama.createGrammar({
    grammar: withoutExponents(generated.grammar),
    stopGenerationTriggers: generated.stopGenerationTriggers,
    trimWhitespaceSuffix: generated.trimWhitespaceSuffix,
  });
}
