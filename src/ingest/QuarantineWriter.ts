import type { ObjectStore, ObjectWriter } from '../ports.ts';
import type { RejectedRecord } from '../decode/csvDecoder.ts';

const enc = new TextEncoder();
const HEADER = enc.encode('line,column,reason,message,record\n');

/**
 * Rejected rows as CSV: line, column, reason, message, then the record's original bytes as one quoted field
 * (quotes doubled), so `record` parses back to exactly the bytes that came in. Opened on the first reject.
 */
export class QuarantineWriter {
  private out: ObjectWriter | null = null;
  rows = 0;

  constructor(
    private readonly store: ObjectStore,
    readonly key: string,
  ) {}

  async write(rejects: RejectedRecord[]): Promise<void> {
    if (!rejects.length) return;
    if (!this.out) {
      this.out = this.store.write(this.key);
      await this.out.write(HEADER);
    }
    const parts: Uint8Array[] = [];
    for (const r of rejects) {
      parts.push(
        enc.encode(`${r.line},${csvText(r.column ?? '')},${r.reason},${csvText(r.message)},"`),
        quoteBytes(r.raw),
        enc.encode('"\n'),
      );
    }
    await this.out.write(Buffer.concat(parts));
    this.rows += rejects.length;
  }

  async close(): Promise<{ key: string; rows: number; bytes: number } | null> {
    if (!this.out) return null;
    const { bytes } = await this.out.complete();
    return { key: this.key, rows: this.rows, bytes };
  }

  async abort(): Promise<void> {
    await this.out?.abort();
  }
}

function csvText(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function quoteBytes(raw: Uint8Array): Uint8Array {
  if (!raw.includes(34)) return raw;
  const out: number[] = [];
  for (const b of raw) {
    out.push(b);
    if (b === 34) out.push(34);
  }
  return Uint8Array.from(out);
}
