// The encoder session of Landfall's own Parquet writer: the same messages as parquet-wasm's session
// (parquetEncoderSession.mjs: 'open', 'batch', 'close' in; 'pulled', 'chunk', 'closed', 'error' out), with a row
// group's column buffers instead of Arrow IPC. Runs on an encoder thread (encoderWorker.ts) or inline.
import type { ColumnValues, RowGroupSpec } from './columnSpec.ts';
import { RowGroupWriter } from './rowGroupWriter.ts';
import { loadZstd, type Zstd } from './zstd.ts';

export type SessionMessage =
  | { t: 'open'; spec: RowGroupSpec }
  | { t: 'batch'; rows: number; values: (ColumnValues | null)[] }
  | { t: 'close' };

export type Post = (m: object, transfer?: ArrayBuffer[]) => void;

export function createLandfallSession(post: Post, zstdWasmPath?: string): (m: SessionMessage) => void {
  let zstd: Zstd | null = null;
  let writer: RowGroupWriter | null = null;
  return (m) => {
    try {
      if (m.t === 'open') {
        zstd ??= loadZstd(zstdWasmPath);
        writer = new RowGroupWriter(m.spec, zstd);
        post({ t: 'pulled' });
      } else if (m.t === 'batch') {
        writer!.push(m.rows, m.values);
        post({ t: 'pulled' });
      } else if (m.t === 'close') {
        const parts = writer!.finish();
        writer = null;
        let n = 0;
        for (const p of parts) n += p.length;
        const bytes = new Uint8Array(n);
        n = 0;
        for (const p of parts) {
          bytes.set(p, n);
          n += p.length;
        }
        post({ t: 'chunk', bytes }, [bytes.buffer]);
        post({ t: 'closed' });
      }
    } catch (err) {
      post({ t: 'error', message: String((err as Error)?.message ?? err) });
    }
  };
}
