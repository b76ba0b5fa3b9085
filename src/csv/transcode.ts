import { validUtf8Prefix } from './utf8.ts';

/**
 * Encodings read by transcoding to UTF-8 before the CSV core (the core reads UTF-8, and Latin-1 itself): UTF-16
 * (a spreadsheet's "Unicode text") and Windows-1252 (what Western Windows writes: Latin-1 with € ‚ " … in 0x80-0x9F).
 */
export const TRANSCODED = ['utf-16le', 'utf-16be', 'windows-1252'] as const;
export type TranscodedEncoding = (typeof TRANSCODED)[number];

export function isTranscoded(encoding: string): encoding is TranscodedEncoding {
  return (TRANSCODED as readonly string[]).includes(encoding);
}

/** The bytes are not valid text in the declared encoding (a lone UTF-16 surrogate): nothing is guessed. */
export class TranscodeError extends Error {
  override readonly name = 'TranscodeError';
}

/**
 * The stream as UTF-8. A byte-order mark of the encoding is dropped; a byte sequence that is not valid text in it
 * fails the stream (TextDecoder's fatal mode) rather than being replaced: nothing is lost silently.
 */
export async function* transcode(
  chunks: AsyncIterable<Uint8Array>,
  encoding: TranscodedEncoding,
): AsyncIterable<Uint8Array> {
  const decoder = new TextDecoder(encoding, { fatal: true });
  const encoder = new TextEncoder();
  let at = 0;
  const text = (chunk?: Uint8Array) => {
    try {
      return chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
    } catch (err) {
      throw new TranscodeError(
        `not valid ${encoding} text near byte ${at}: declare the file's encoding in the contract's dialect.encoding`,
        { cause: err },
      );
    }
  };
  for await (const chunk of chunks) {
    const s = text(chunk);
    at += chunk.length;
    if (s) yield encoder.encode(s);
  }
  const rest = text();
  if (rest) yield encoder.encode(rest);
}

/**
 * The encoding of a sample as infer guesses it: UTF-16 by its byte-order mark or by zero bytes on every other
 * position (ASCII text in UTF-16), then UTF-8 when the sample is valid UTF-8 (a multi-byte character cut at the end
 * aside), else Windows-1252 when bytes 0x80-0x9F occur (controls in Latin-1, € „ " in Windows-1252), else Latin-1.
 */
export function guessEncoding(sample: Uint8Array): 'utf-8' | 'latin1' | TranscodedEncoding {
  if (sample[0] === 0xff && sample[1] === 0xfe) return 'utf-16le';
  if (sample[0] === 0xfe && sample[1] === 0xff) return 'utf-16be';
  const n = Math.min(sample.length & ~1, 4096);
  let evenZero = 0;
  let oddZero = 0;
  for (let i = 0; i < n; i += 2) {
    if (sample[i] === 0) evenZero++;
    if (sample[i + 1] === 0) oddZero++;
  }
  if (n >= 4 && oddZero > n / 2 / 3 && evenZero === 0) return 'utf-16le';
  if (n >= 4 && evenZero > n / 2 / 3 && oddZero === 0) return 'utf-16be';
  // 0 is also what a sample of at most four bytes, all of them a cut character's, gets: nothing shows it is not UTF-8.
  if (validUtf8Prefix(sample) > 0 || (sample.length <= 4 && sample.every((b) => b >= 0x80))) return 'utf-8';
  return sample.some((b) => b >= 0x80 && b <= 0x9f) ? 'windows-1252' : 'latin1';
}
