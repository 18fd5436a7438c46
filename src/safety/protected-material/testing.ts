// Material for the protected-material tests: prose and code written for them, a public-domain
// passage, and deterministic generators of long word and code sequences. Not part of the build.

/** Original prose, written for these tests (about 330 words). */
export const ESSAY = `The keepers of the old harbour light were never paid much, and most of them stayed for decades
anyway. The work suited a particular temperament: a person who could climb the same one hundred
and twelve steps twice a night, trim the same wick, wipe the same salt from the same brass, and
find in that repetition something closer to calm than to boredom. The logbooks they left behind
are mostly weather, written in a careful hand that grows shakier over the years.

Between the weather entries there are other things. One keeper recorded every ship that passed
close enough to read its name, and beside some of them drew a small cross, which his successor
took to mean a wreck but which later turned out to mark the ships that had answered his lamp with
a signal of their own. Another kept a list of the birds that struck the glass during autumn
storms, with the weight of each one, measured on a letter scale borrowed from the post office in
the village below.

What strikes a reader now is how little the keepers wrote about themselves. A marriage appears
only as a change in the handwriting of the Sunday entries; a death in the family as three days in
which the lamp was tended but nothing at all was written down. When the light was automated the
last keeper left a single line at the bottom of the final page, asking whoever found the book to
remember that the lamp had never once gone dark on his watch, not even on the night the great
storm took the roof off the oil store and scattered the winter coal across the rocks below the
cliff where the gulls still nest every spring.`;

/** The opening of the United States Declaration of Independence (1776, public domain). */
export const DECLARATION = `When in the Course of human events, it becomes necessary for one people to dissolve the political
bands which have connected them with another, and to assume among the powers of the earth, the
separate and equal station to which the Laws of Nature and of Nature's God entitle them, a decent
respect to the opinions of mankind requires that they should declare the causes which impel them
to the separation. We hold these truths to be self-evident, that all men are created equal, that
they are endowed by their Creator with certain unalienable Rights, that among these are Life,
Liberty and the pursuit of Happiness. That to secure these rights, Governments are instituted among
Men, deriving their just powers from the consent of the governed, That whenever any Form of
Government becomes destructive of these ends, it is the Right of the People to alter or to abolish
it, and to institute new Government, laying its foundation on such principles and organizing its
powers in such form, as to them shall seem most likely to effect their Safety and Happiness.`;

/** Original code, written for these tests: an RFC 4180-style CSV reader with comments. */
export const CSV_READER = `/**
 * Reads CSV text into rows of fields. Quoted fields may contain the delimiter, doubled quotes
 * and line breaks; both LF and CRLF end a record.
 */
export function readCsv(input: string, options: { delimiter?: string; header?: boolean } = {}) {
    const delimiter = options.delimiter ?? ',';
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\\n') {
        throw new Error(\`unusable delimiter \${JSON.stringify(delimiter)}\`);
    }
    const rows: string[][] = [];
    let row: string[] = [];
    let field = '';
    let quoted = false; // inside a quoted field
    let afterQuote = false; // the closing quote was seen; only a delimiter or newline may follow
    let line = 1;

    for (let i = 0; i < input.length; i++) {
        const ch = input[i];
        if (quoted) {
            if (ch === '"') {
                // A doubled quote is a literal quote; a single one ends the field.
                if (input[i + 1] === '"') {
                    field += '"';
                    i++;
                } else {
                    quoted = false;
                    afterQuote = true;
                }
            } else {
                if (ch === '\\n') line++;
                field += ch;
            }
            continue;
        }
        if (ch === delimiter) {
            row.push(field);
            field = '';
            afterQuote = false;
        } else if (ch === '\\n' || ch === '\\r') {
            /* CRLF counts once */
            if (ch === '\\r' && input[i + 1] === '\\n') i++;
            row.push(field);
            rows.push(row);
            row = [];
            field = '';
            afterQuote = false;
            line++;
        } else if (afterQuote) {
            throw new Error(\`line \${line}: unexpected \${JSON.stringify(ch)} after a closing quote\`);
        } else if (ch === '"' && field === '') {
            quoted = true;
        } else {
            field += ch;
        }
    }
    if (quoted) throw new Error(\`line \${line}: a quoted field is not closed\`);
    // The last record needs no newline after it, but a trailing newline makes no empty record.
    if (field !== '' || row.length > 0) {
        row.push(field);
        rows.push(row);
    }

    if (!options.header) return { columns: undefined, records: rows };
    const [columns, ...records] = rows;
    if (!columns) return { columns: [], records: [] };
    const seen = new Set<string>();
    for (const name of columns) {
        if (seen.has(name)) throw new Error(\`duplicate column \${JSON.stringify(name)}\`);
        seen.add(name);
    }
    // Short records are padded so every record has a value per column.
    const objects = records.map((fields, n) => {
        if (fields.length > columns.length) {
            throw new Error(\`record \${n + 1} has \${fields.length} fields for \${columns.length} columns\`);
        }
        const object: Record<string, string> = {};
        columns.forEach((name, c) => {
            object[name] = fields[c] ?? '';
        });
        return object;
    });
    return { columns, records: objects };
}
`;

/** xorshift32: a small deterministic generator, so generated corpora are the same every run. */
export function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

const SYLLABLES = 'ka lo mi ter an sol ven dri po us el ra ni mor bel ta fi gon se ur qua ple sto vi de'.split(' ');

/** A vocabulary of made-up words, the first ones the most frequent (a rough Zipf curve). */
function vocabulary(size: number): string[] {
  const next = random(7);
  const words = new Set<string>();
  while (words.size < size) {
    const syllables = 1 + Math.floor(next() * 4);
    let word = '';
    for (let i = 0; i < syllables; i++) word += SYLLABLES[Math.floor(next() * SYLLABLES.length)];
    words.add(word);
  }
  return [...words];
}

const WORDS = vocabulary(20_000);

/** Pseudo-random prose of about `chars` characters, with sentences and line breaks. */
export function pseudoText(seed: number, chars: number): string {
  const next = random(seed);
  const parts: string[] = [];
  let length = 0;
  let sentence = 0;
  while (length < chars) {
    let word = WORDS[Math.floor(next() ** 3 * WORDS.length)]!;
    if (sentence === 0) word = word[0]!.toUpperCase() + word.slice(1);
    sentence++;
    if (sentence > 6 && next() < 0.12) {
      word += '.';
      sentence = 0;
    } else if (next() < 0.05) word += ',';
    parts.push(word);
    length += word.length + 1;
  }
  return parts.join(' ').replace(/(.{70,80}?) /g, '$1\n');
}

const NAMES = vocabulary(3_000).map((w, i) => (i % 3 === 0 ? w : i % 3 === 1 ? `${w}Count` : `get${w[0]!.toUpperCase()}${w.slice(1)}`));

/** Pseudo-random source code of about `chars` characters. */
export function pseudoCode(seed: number, chars: number): string {
  const next = random(seed);
  const name = () => NAMES[Math.floor(next() ** 2 * NAMES.length)]!;
  const num = () => String(Math.floor(next() * 100));
  const templates = [
    () => `const ${name()} = ${name()}(${name()}, ${num()});`,
    () => `if (${name()} > ${num()}) {\n  return ${name()}.${name()};\n}`,
    () => `for (let i = 0; i < ${name()}.length; i++) {\n  ${name()} += ${name()}[i] * ${num()};\n}`,
    () => `// ${name()} ${name()} ${name()}`,
    () => `${name()}.push({ ${name()}: ${name()}, ${name()}: '${name()}' });`,
    () => `function ${name()}(${name()}, ${name()}) {\n  return ${name()} - ${name()} / ${num()};\n}`,
  ];
  const lines: string[] = [];
  let length = 0;
  while (length < chars) {
    const line = templates[Math.floor(next() * templates.length)]!();
    lines.push(line);
    length += line.length + 1;
  }
  return lines.join('\n');
}
