import { createReadStream, existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { columnName, inferContract } from '../contracts/inferContract.ts';
import { parseContract } from '../contracts/loadContracts.ts';
import { openSource } from '../ingest/sourceStream.ts';

const SAMPLE_BYTES = 16 * 1024 * 1024;

/** `landfall infer FILE`: drafts a contract from the first rows of a file (plain or gzip). */
export async function infer(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { dataset: { type: 'string' }, rows: { type: 'string', default: '10000' }, out: { type: 'string' } },
  });
  if (positionals.length !== 1) throw new Error('name one file to draft a contract from');
  const file = positionals[0];
  const name = basename(file);
  const dataset =
    values.dataset ??
    columnName(
      name
        .replace(/\.gz$/i, '')
        .replace(/\.[^.]+$/, '')
        .replace(/_dataset$/, ''),
      0,
    );
  const parts: Uint8Array[] = [];
  let size = 0;
  const state = { compression: 'none' as 'gzip' | 'none', storedBytes: 0 };
  for await (const chunk of openSource(createReadStream(file, { highWaterMark: 1 << 20 }), state)) {
    parts.push(chunk);
    size += chunk.length;
    if (size >= SAMPLE_BYTES) break;
  }
  const { yaml, rowsSampled } = inferContract(Buffer.concat(parts), {
    dataset,
    fileName: name,
    maxRows: Number(values.rows),
  });
  parseContract(yaml, `${dataset}.yaml`); // the draft must at least be a valid contract
  if (values.out) {
    const target = join(values.out, `${dataset}.yaml`);
    if (existsSync(target)) throw new Error(`${target} exists; not overwriting it (choose --dataset or another --out)`);
    await writeFile(target, yaml);
    process.stderr.write(
      `drafted ${target} from ${rowsSampled} rows; review it, then: npx landfall run --contracts ${values.out} ${file}\n`,
    );
  } else {
    process.stdout.write(yaml);
    process.stderr.write(
      `drafted from ${rowsSampled} rows of ${name}; save it as contracts/${dataset}.yaml and review it\n`,
    );
  }
  return 0;
}
