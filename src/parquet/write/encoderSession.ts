// The encoder session of Landfall's own Parquet writer: the same messages as parquet-wasm's session
// (parquetEncoderSession.mjs: 'open', 'batch', 'close' in; 'pulled', 'chunk', 'closed', 'error' out), with a row
// group's column buffers instead of Arrow IPC. Runs on an encoder thread (encoderWorker.ts) or inline.
import type { ColumnValues, RowGroupSpec } from './columnSpec.ts';
import { RowGroupWriter } from './rowGroupWriter.ts';
import { loadZstd, type Zstd } from './zstd.ts';

export type SessionMessage =
  | { t: 'open'; g: number; spec: RowGroupSpec }
  | { t: 'batch'; g: number; rows: number; values: (ColumnValues | null)[]; buffers?: ArrayBuffer[] }
  | { t: 'close'; g: number };

export type Post = (m: object, transfer?: ArrayBuffer[]) => void;

/**
 * Row groups are kept apart by their number `g`: the next one may open while the last is being written (messages
 * are handled in order, so each row group's batches still arrive in order).
 */
export function createLandfallSession(
  post: Post,
  zstdWasmPath?: string,
  { eager = false }: { eager?: boolean } = {},
): (m: SessionMessage) => void {
  let zstd: Zstd | null = null;
  // An encoder thread loads libzstd as it starts (`eager`: while the converting thread decodes its first batch); a
  // failure is left for 'open' to meet again and report as the session reports any.
  if (eager)
    try {
      zstd = loadZstd(zstdWasmPath);
    } catch {
      zstd = null;
    }
  const writers = new Map<number, RowGroupWriter>();
  return (m) => {
    try {
      if (m.t === 'open') {
        zstd ??= loadZstd(zstdWasmPath);
        // A batch's buffers go back to the thread that decoded it once no page to be written refers to them.
        writers.set(m.g, new RowGroupWriter(m.spec, zstd, (buffers) => post({ t: 'release', buffers }, buffers)));
        post({ t: 'pulled', g: m.g });
      } else if (m.t === 'batch') {
        writers.get(m.g)!.push(m.rows, m.values, m.buffers);
        post({ t: 'pulled', g: m.g });
      } else if (m.t === 'close') {
        // The row group's pages, indexes and footer move to the converting thread as they are, each in a buffer of its
        // own (joined into one, they were copied once more: the 300-column file's row groups are ~9 MB each).
        const parts = writers.get(m.g)!.finish();
        writers.delete(m.g);
        post(
          { t: 'chunk', g: m.g, parts },
          parts.map((p) => p.buffer as ArrayBuffer),
        );
        post({ t: 'closed', g: m.g });
      }
    } catch (err) {
      post({ t: 'error', message: String((err as Error)?.message ?? err) });
    }
  };
}
