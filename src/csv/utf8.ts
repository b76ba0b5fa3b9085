import { isUtf8 } from 'node:buffer';

/**
 * Length of the prefix of `buf` known to be valid UTF-8 (0 when it is not valid as a whole); a multi-byte
 * character cut at the end is left out, to per-value checks.
 */
export function validUtf8Prefix(buf: Uint8Array): number {
  let end = buf.length;
  while (end > 0 && buf.length - end < 4 && buf[end - 1] >= 0x80) end--;
  return isUtf8(buf.subarray(0, end)) ? end : 0;
}
