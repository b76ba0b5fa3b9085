import { createHash } from 'node:crypto';
import type { ObjectInfo, ObjectStore, ObjectWriter } from '../ports.ts';

/** An object store in memory, counting requests as S3 bills them: the simulation's S3 (no file system, no waiting). */
export class MemoryStore implements ObjectStore {
  readonly requests = { put: 0, get: 0 };
  private readonly objects = new Map<string, Uint8Array>();

  constructor(readonly name: string) {}

  async head(key: string): Promise<ObjectInfo | null> {
    this.requests.get += 1;
    const body = this.objects.get(key);
    return body ? { key, size: body.length, etag: createHash('md5').update(body).digest('hex') } : null;
  }

  async *read(key: string, range?: { start: number; end: number }): AsyncIterable<Uint8Array> {
    this.requests.get += 1;
    const body = this.objects.get(key);
    if (!body) throw Object.assign(new Error(`NoSuchKey: ${key}`), { name: 'NoSuchKey' });
    yield range ? body.subarray(range.start, range.end) : body;
  }

  write(key: string): ObjectWriter {
    const parts: Uint8Array[] = [];
    return {
      write: async (chunk) => {
        parts.push(chunk.slice());
      },
      complete: async () => {
        await this.put(key, Buffer.concat(parts));
        return { bytes: parts.reduce((n, p) => n + p.length, 0) };
      },
      abort: async () => undefined,
    };
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    this.requests.put += 1;
    this.objects.set(key, typeof body === 'string' ? Buffer.from(body) : body);
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    this.requests.put += 1; // LIST is billed as a PUT-class request
    for (const key of [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort()) {
      yield { key, size: this.objects.get(key)!.length, etag: '' };
    }
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }

  async move(from: string, to: string): Promise<void> {
    const body = this.objects.get(from);
    if (!body) return;
    await this.put(to, body);
    this.objects.delete(from);
  }
}
