import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { columnName, inferContract, type InferSample, TAIL_BYTES } from '../contracts/inferContract.ts';
import { parseContract } from '../contracts/loadContracts.ts';
import { oversizedContracts } from '../pipeline/statementLimits.ts';
import { openSource } from '../ingest/sourceStream.ts';
import { scanEvidence } from '../decode/evidence.ts';
import { isTranscoded, transcode } from '../csv/transcode.ts';

const SAMPLE_BYTES = 16 * 1024 * 1024;
/** Ranged reads past the head of a large plain file: this many pieces from its middle, of this size each. */
const MIDDLE_PIECES = 4;
const MIDDLE_BYTES = 256 * 1024;

/** Passes the bytes on, saying on stderr every 256 MB how far a whole-file scan has come. */
async function* counted(chunks: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  let bytes = 0;
  let next = 256 * 1024 * 1024;
  for await (const c of chunks) {
    bytes += c.length;
    if (bytes >= next) {
      process.stderr.write(`infer --rows all: ${Math.round(bytes / 1024 / 1024)} MB read\n`);
      next += 256 * 1024 * 1024;
    }
    yield c;
  }
}

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
  const head = Buffer.concat(parts);
  const total = (await stat(file)).size;
  const complete = size < SAMPLE_BYTES || (state.compression === 'none' && size >= total);
  const sample: InferSample = { head, complete };
  if (!complete && state.compression === 'none') {
    // A large plain file: pieces of its middle and its end by ranged reads.
    const fh = await open(file, 'r');
    try {
      // At even offsets, so that UTF-16 text stays aligned; infer reads each from its first line break.
      const piece = async (at: number, bytes: number) => {
        const buf = Buffer.alloc(bytes);
        const { bytesRead } = await fh.read(buf, 0, bytes, at & ~1);
        return buf.subarray(0, bytesRead);
      };
      const span = total - TAIL_BYTES - head.length;
      sample.middle = [];
      for (let i = 1; i <= MIDDLE_PIECES && span > MIDDLE_BYTES; i++)
        sample.middle.push(await piece(head.length + Math.floor((span * i) / (MIDDLE_PIECES + 1)), MIDDLE_BYTES));
      sample.tail = await piece(Math.max(head.length, total - TAIL_BYTES - 1), TAIL_BYTES + 1);
    } finally {
      await fh.close();
    }
  }
  const all = values.rows === 'all';
  const maxRows = all ? 10_000 : Number(values.rows);
  if (!Number.isInteger(maxRows) || maxRows < 1)
    throw new Error(`--rows takes a number of rows or "all", not "${values.rows}"`);
  let { yaml, rowsSampled } = inferContract(sample, { dataset, fileName: name, maxRows });
  if (all) {
    // Every record, read under the first draft: the types, nullability and key are decided on the whole file.
    const first = parseContract(yaml, `${dataset}.yaml`);
    const source = openSource(createReadStream(file, { highWaterMark: 1 << 20 }), {
      compression: 'none',
      storedBytes: 0,
    });
    const encoding = first.dialect.encoding;
    const evidence = await scanEvidence(first, counted(isTranscoded(encoding) ? transcode(source, encoding) : source));
    ({ yaml, rowsSampled } = inferContract({ ...sample, evidence }, { dataset, fileName: name, maxRows }));
  }
  // The draft must at least be a valid contract, and one Athena can run the pipeline's statements for.
  const oversized = oversizedContracts([parseContract(yaml, `${dataset}.yaml`)]);
  for (const p of oversized) process.stderr.write(`warning: ${p}\n`);
  if (values.out) {
    const target = join(values.out, `${dataset}.yaml`);
    if (existsSync(target)) throw new Error(`${target} exists; not overwriting it (choose --dataset or another --out)`);
    await mkdir(values.out, { recursive: true });
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
