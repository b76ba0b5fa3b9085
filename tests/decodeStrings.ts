import { makeVector } from 'apache-arrow';
import type { Contract, ContractInput } from '#src/contracts/contract.ts';
import { contractSchema } from '#src/contracts/contractSchema.ts';
import {
  JsCsvDecoder,
  type CsvDecoder,
  type DecodeOutput,
  type DecodeStats,
  type RejectedRecord,
} from '#src/decode/csvDecoder.ts';
import { WasmCsvDecoder } from '#src/decode/wasmDecoder.ts';

/** An all-string contract for parser tests: `names` become columns c0..cn with those headers. */
export function stringContract(names: string[], dialect: ContractInput['dialect'] = {}): Contract {
  return contractSchema.parse({
    dataset: 'conformance',
    dialect: { nullTokens: [], ...dialect },
    columns: names.map((n, i) => ({ name: `c${i}`, header: n, type: 'string' })),
  });
}

export interface Decoded {
  rows: (string | null)[][];
  rejects: RejectedRecord[];
  stats: DecodeStats;
}

export type DecoderImpl = 'wasm' | 'js';

/**
 * Runs a decoder over `bytes`, split into chunks of the given sizes (cycled), and reads the values back:
 * the production WASM core by default, or the JavaScript reference decoder.
 */
export function decode(
  contract: Contract,
  bytes: Uint8Array,
  chunkSizes: number[] = [bytes.length || 1],
  batchBytes?: number,
  impl: DecoderImpl = 'wasm',
): Decoded {
  const decoder: CsvDecoder =
    impl === 'wasm' ? new WasmCsvDecoder(contract, { batchBytes }) : new JsCsvDecoder(contract, { batchBytes });
  const rows: (string | null)[][] = [];
  const rejects: RejectedRecord[] = [];
  const collect = (out: DecodeOutput) => {
    rejects.push(...out.rejects);
    for (const b of out.batches) {
      const cols = b.columns.map((d) => makeVector(d));
      for (let i = 0; i < b.rowCount; i++)
        rows.push(cols.map((c) => ((c.get(i) as unknown) === null ? null : String(c.get(i)))));
    }
  };
  let p = 0;
  let k = 0;
  while (p < bytes.length) {
    const n = Math.max(1, chunkSizes[k++ % chunkSizes.length]);
    collect(decoder.push(bytes.subarray(p, p + n)));
    p += n;
  }
  collect(decoder.end());
  return { rows, rejects, stats: decoder.stats };
}
