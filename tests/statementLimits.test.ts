/**
 * Issue 36 item 4: a 20,000-column file converted, then its merge ran the local warehouse out of memory; on AWS its
 * MERGE (megabytes) is over Athena's 262,144-byte query string quota. A contract whose statements Athena could not
 * run is now refused when the lake opens, and infer says so for such a draft.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadContracts } from '#src/contracts/loadContracts.ts';
import { ATHENA_MAX_QUERY_BYTES, oversizedContracts } from '#src/pipeline/statementLimits.ts';
import { BUILTIN_CONTRACTS } from '#src/wiring/local.ts';
import { tempDir, tempLake } from './helpers.ts';

const BIN = fileURLToPath(new URL('../bin/landfall.mjs', import.meta.url));
const wide = (n: number) =>
  `dataset: wide\ncolumns:\n${Array.from({ length: n }, (_, i) => `  - { name: column_${i}, type: string }`).join('\n')}\n`;

describe('contracts whose statements Athena could not run (its 262,144-byte query quota)', () => {
  it('passes every built-in contract and a 320-column one; refuses 20,000 columns at lake open, naming the statement and its size', async () => {
    expect(oversizedContracts(await loadContracts(BUILTIN_CONTRACTS))).toEqual([]);
    const dir = await tempDir();
    await writeFile(join(dir, 'wide.yaml'), wide(320));
    expect(oversizedContracts(await loadContracts(dir))).toEqual([]);
    await writeFile(join(dir, 'wide.yaml'), wide(20_000));
    await expect(tempLake({}, dir)).rejects.toThrow(
      new RegExp(
        `wide: its \\w+ statement for 20000 columns would be \\d+ bytes, over Athena's ${ATHENA_MAX_QUERY_BYTES}-byte query limit: split the file's columns`,
      ),
    );
  });

  it('landfall infer drafts a 20,000-column file and warns that Athena could not run it', async () => {
    const dir = await tempDir();
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'wide.csv');
    const header = Array.from({ length: 20_000 }, (_, i) => `c${i}`).join(',');
    await writeFile(file, `${header}\n${Array.from({ length: 20_000 }, () => 'x').join(',')}\n`);
    const { stderr } = await promisify(execFile)(process.execPath, [BIN, 'infer', file], { maxBuffer: 64 << 20 });
    expect(stderr).toMatch(
      /warning: wide: its \w+ statement for 20000 columns would be \d+ bytes, over Athena's 262144-byte query limit/,
    );
  }, 120_000);
});
