/** Types of parquetEncoderSession.mjs (plain JavaScript, so that the worker runs without a compile step). */
export function createEncoderSession(
  pw: unknown,
  post: (m: never, transfer?: ArrayBuffer[]) => void,
): (m: object) => Promise<void>;

/** Grows parquet-wasm's memory once, before its first file (see the .mjs). */
export function pregrowMemory(wasmExports: unknown, bytes?: number): void;
export const PREGROW_BYTES: number;
