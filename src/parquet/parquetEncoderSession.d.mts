/** Types of parquetEncoderSession.mjs (plain JavaScript, so that the worker runs without a compile step). */
export function createEncoderSession(
  pw: unknown,
  post: (m: never, transfer?: ArrayBuffer[]) => void,
): (m: object) => Promise<void>;
