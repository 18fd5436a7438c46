// Output of the CLI: aligned tables for people, JSON for scripts (--output json).

export type OutputFormat = 'table' | 'json';

export function parseOutput(value: string): OutputFormat {
  if (value !== 'table' && value !== 'json') throw new Error(`--output must be 'table' or 'json', not '${value}'`);
  return value;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints rows under a header, columns padded to the widest cell. */
export function printTable(header: string[], rows: (string | number | undefined)[][]): void {
  const cells = rows.map((r) => r.map((c) => (c === undefined ? '' : String(c))));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write(`${[line(header), ...cells.map(line)].join('\n')}\n`);
}

/** A resource as `key: value` lines for people. */
export function printFields(fields: [string, unknown][]): void {
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [k, v] of fields) {
    process.stdout.write(`${k.padEnd(width)}  ${typeof v === 'string' ? v : JSON.stringify(v)}\n`);
  }
}
