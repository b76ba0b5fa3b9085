import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { PassThrough } from 'node:stream';
import type { ObjectInfo, ObjectStore, ObjectWriter } from '../../ports.ts';

/**
 * One S3 bucket as an ObjectStore. Writes stream through a multipart upload, so an object appears only when
 * the upload completes; an aborted upload leaves nothing behind.
 */
export class S3Store implements ObjectStore {
  constructor(
    private readonly s3: S3Client,
    readonly name: string,
    private readonly partBytes = 16 * 1024 * 1024,
  ) {}

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const r = await this.s3.send(new HeadObjectCommand({ Bucket: this.name, Key: key }));
      return { key, size: r.ContentLength ?? 0, etag: (r.ETag ?? '').replace(/"/g, ''), versionId: r.VersionId };
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (err as Error).name === 'NotFound') return null;
      throw err;
    }
  }

  async *read(key: string, range?: { start: number; end: number }): AsyncIterable<Uint8Array> {
    const r = await this.s3.send(
      new GetObjectCommand({
        Bucket: this.name,
        Key: key,
        Range: range ? `bytes=${range.start}-${range.end - 1}` : undefined,
      }),
    );
    if (!r.Body) return;
    for await (const chunk of r.Body as AsyncIterable<Uint8Array>) yield chunk;
  }

  write(key: string): ObjectWriter {
    const body = new PassThrough({ highWaterMark: this.partBytes });
    const upload = new Upload({
      client: this.s3,
      params: { Bucket: this.name, Key: key, Body: body },
      partSize: this.partBytes,
      queueSize: 2,
    });
    const done = upload.done();
    done.catch(() => undefined);
    let bytes = 0;
    return {
      write: async (chunk) => {
        bytes += chunk.length;
        // The upload holds on to queued chunks; copy, so the caller may reuse its buffer (ObjectWriter's contract).
        if (!body.write(Buffer.from(chunk))) await new Promise<void>((r) => body.once('drain', r));
      },
      complete: async () => {
        body.end();
        await done;
        return { bytes };
      },
      abort: async () => {
        // Failing the body (not Upload.abort(), whose promise settles before anything is sent) makes the upload
        // finish the parts in flight, send AbortMultipartUpload, and only then reject: no part is left behind.
        body.destroy(new Error('the writer aborted the upload'));
        await done.catch(() => undefined);
      },
    };
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.name, Key: key, Body: body }));
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      const r = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.name, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of r.Contents ?? [])
        yield { key: o.Key!, size: o.Size ?? 0, etag: (o.ETag ?? '').replace(/"/g, '') };
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.name, Key: key }));
  }

  /** Server-side copy (one request up to 5 GB; Landfall's files are ~200 MB), then delete of the source. */
  async move(from: string, to: string): Promise<void> {
    try {
      await this.s3.send(
        new CopyObjectCommand({
          Bucket: this.name,
          Key: to,
          CopySource: `${this.name}/${from.split('/').map(encodeURIComponent).join('/')}`,
        }),
      );
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if ((e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) && (await this.head(to))) return;
      throw err;
    }
    await this.delete(from);
  }
}
