/**
 * The start of a stream, held back until its first three bytes show whether it begins with a UTF-8 BOM: however
 * the bytes arrive in chunks (a first chunk of one byte included), the BOM is found and cut off.
 */
export class BomProbe {
  private head: Uint8Array | null = null;

  /** `keep`: the contract keeps a BOM as data, so nothing is held or cut. */
  constructor(private done: boolean) {}

  /** The bytes to decode now, and whether a BOM was cut off them; null while fewer than three have come. */
  take(chunk: Uint8Array): { bytes: Uint8Array; bom: boolean } | null {
    if (this.done) return { bytes: chunk, bom: false };
    const held = this.head ? Buffer.concat([this.head, chunk]) : chunk;
    if (held.length < 3) {
      this.head = new Uint8Array(held); // a copy (a Buffer's slice() is a view into a buffer the stream may reuse)
      return null;
    }
    this.head = null;
    this.done = true;
    const bom = held[0] === 0xef && held[1] === 0xbb && held[2] === 0xbf;
    return { bytes: bom ? held.subarray(3) : held, bom };
  }

  /** At the end of the stream: what is still held (fewer than three bytes, so no BOM), or null. */
  rest(): Uint8Array | null {
    const head = this.head;
    this.head = null;
    this.done = true;
    return head;
  }
}
