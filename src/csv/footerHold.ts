/**
 * Holds back the last `lines` lines of a byte stream that hold something (dialect.footerLines: totals or an "end
 * of report" line under the data) until the stream ends, then drops them, with any empty or blank lines (only
 * delimiters and spaces, as a spreadsheet pads) after them. What is released always ends at a line start, so a
 * decoder fed with it sees whole lines.
 */
export class FooterHold {
  private held: Uint8Array = new Uint8Array(0);
  private readonly counts: (buf: Uint8Array, s: number, e: number) => boolean;
  constructor(
    private readonly lines: number,
    delimiter: number,
  ) {
    this.counts = (buf, s, e) => {
      for (let k = s; k < e; k++) if (buf[k] !== delimiter && buf[k] !== 32 && buf[k] !== 9) return true;
      return false;
    };
  }

  /** The bytes that cannot belong to the footer, whatever follows. */
  push(chunk: Uint8Array): Uint8Array[] {
    // Usually the chunk alone holds the footer's lines: release the held bytes and the chunk up to them.
    const inChunk = this.startOfLast(chunk, false);
    if (inChunk > 0) {
      const out = [this.held, chunk.subarray(0, inChunk)].filter((b) => b.length);
      // A copy: a Buffer's slice() is a view, and the stream may reuse its buffers (FolderStore reads plain files so).
      this.held = new Uint8Array(chunk.subarray(inChunk));
      return out;
    }
    const all = new Uint8Array(this.held.length + chunk.length);
    all.set(this.held);
    all.set(chunk, this.held.length);
    const cut = this.startOfLast(all, true);
    this.held = cut > 0 ? all.slice(cut) : all;
    return cut > 0 ? [all.subarray(0, cut)] : [];
  }

  /** End of the stream: the held lines are dropped; how many of them were not empty. */
  end(): number {
    let n = 0;
    let inLine = false;
    for (const b of this.held) {
      const brk = b === 10 || b === 13;
      if (!brk && !inLine) n++;
      inLine = !brk;
    }
    this.held = new Uint8Array(0);
    return n;
  }

  /**
   * Where the footer's first line starts in `buf` (the `lines`-th last line that holds something; an unterminated
   * tail counts), or -1 when `buf` has fewer. Index 0 counts only when `buf` starts at a line start.
   */
  private startOfLast(buf: Uint8Array, atLineStart: boolean): number {
    let count = 0;
    let i = buf.length;
    while (i > 0) {
      let j = i - 1;
      while (j >= 0 && buf[j] !== 10 && buf[j] !== 13) j--;
      if (this.counts(buf, j + 1, i) && ++count === this.lines) return j >= 0 || atLineStart ? j + 1 : -1;
      if (j < 0) break;
      i = j;
    }
    return -1;
  }
}
