#!/usr/bin/env node
// Writes the two sides of the CSV core's boundary from wasm/boundary.json: wasm/assembly/boundary.ts (AssemblyScript
// constants) and src/decode/wasmBoundary.ts (TypeScript). Run by build-wasm before compiling; `--check` exits 1 when
// a written file differs from what it would write (tests/wasmBoundary.test.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HEADER = '// Generated from wasm/boundary.json by scripts/gen-boundary.mjs: do not edit.\n';

const constName = (prefix, key) =>
  `${prefix}_${key
    .replace(/[-]/g, '_')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toUpperCase()}`;

export function generate(spec = JSON.parse(readFileSync(join(root, 'wasm', 'boundary.json'), 'utf8'))) {
  const as = [HEADER];
  const group = (title, prefix, entries, type = 'i32') => {
    as.push(`\n// ${title}\n`);
    for (const [k, v] of Object.entries(entries)) as.push(`export const ${constName(prefix, k)}: ${type} = ${v};\n`);
  };
  group('Column types', 'T', spec.types);
  group('Reject reasons', 'R', spec.reasons);
  group('parse() statuses', 'S', spec.statuses);
  group('Date and timestamp formats', 'F', spec.formats);
  group('Pattern parts: a literal byte, or a field with min/max digits', 'P', spec.partKinds);
  group('Field kinds', 'K', spec.fieldKinds, 'u8');
  as.push(
    `\n// Per-column record (COL bytes per contract column)\nexport const COL: usize = ${spec.columnRecord.size};\n`,
  );
  for (const [k, v] of Object.entries(spec.columnRecord.offsets))
    as.push(`export const ${constName('C', k)}: usize = ${v};\n`);
  as.push(`\n// One reject\nexport const REJECT_SIZE: usize = ${spec.rejectRecord.size};\n`);
  for (const [k, v] of Object.entries(spec.rejectRecord.offsets))
    as.push(`export const ${constName('RJ', k)}: usize = ${v};\n`);
  as.push(
    `\n// The dialect, written by the wrapper at dialectAddress() before configure()\nexport const DIALECT_SIZE: usize = ${spec.dialect.size};\n`,
  );
  for (const [k, v] of Object.entries(spec.dialect.offsets))
    as.push(`export const ${constName('D', k)}: usize = ${v};\n`);

  const obj = (o) =>
    JSON.stringify(o, null, 2)
      .replace(/"([a-zA-Z_][a-zA-Z0-9_]*)":/g, '$1:')
      .replace(/"/g, "'")
      .replace(/'\n/g, "',\n")
      .replace(/(\d)\n/g, '$1,\n');
  const ts = [
    HEADER,
    '\n/** Column type codes. */\n',
    `export const TYPE = ${obj(spec.types)} as const;\n`,
    '\n/** Reject reason codes. */\n',
    `export const REASON = ${obj(spec.reasons)} as const;\n`,
    '\n/** What parse() returns. */\n',
    `export const STATUS = ${obj(spec.statuses)} as const;\n`,
    '\n/** Date and timestamp format kinds. */\n',
    `export const FORMAT = ${obj(spec.formats)} as const;\n`,
    '\n/** Pattern part kinds. */\n',
    `export const PART_KIND = ${obj(spec.partKinds)} as const;\n`,
    "\n/** The per-column record in the core's memory: its size and the byte offset of each field. */\n",
    `export const COLUMN_RECORD = ${obj(spec.columnRecord)} as const;\n`,
    "\n/** One reject in the core's memory. */\n",
    `export const REJECT_RECORD = ${obj(spec.rejectRecord)} as const;\n`,
    '\n/** The packed dialect the wrapper writes at dialectAddress() (i32 each). */\n',
    `export const DIALECT = ${obj(spec.dialect)} as const;\n`,
  ];
  return { 'wasm/assembly/boundary.ts': as.join(''), 'src/decode/wasmBoundary.ts': ts.join('') };
}

/** Writes the files that differ from what the definition gives; with `check`, only names them. Returns them. */
export function writeBoundary({ check = false } = {}) {
  const stale = [];
  for (const [file, text] of Object.entries(generate())) {
    const path = join(root, file);
    let current = null;
    try {
      current = readFileSync(path, 'utf8');
    } catch {}
    if (current === text) continue;
    stale.push(file);
    if (!check) writeFileSync(path, text);
  }
  return stale;
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const check = process.argv.includes('--check');
  const stale = writeBoundary({ check });
  if (check)
    for (const file of stale)
      process.stderr.write(`${file} differs from wasm/boundary.json: run node scripts/gen-boundary.mjs\n`);
  process.exit(check && stale.length ? 1 : 0);
}
