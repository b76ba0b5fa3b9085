/** Small interfaces the core depends on; adapters in src/adapters implement them for AWS and for a laptop. */

export interface ObjectInfo {
  key: string;
  size: number;
  /** S3 ETag, or the MD5 of the content for the local store. */
  etag: string;
  versionId?: string;
}

export interface ObjectWriter {
  /** The caller may reuse `chunk` once the promise resolves. */
  write(chunk: Uint8Array): Promise<void>;
  /** Makes the object visible under its key, all at once. */
  complete(): Promise<{ bytes: number }>;
  /** Drops what was written; the key never becomes visible. */
  abort(): Promise<void>;
}

export interface ObjectStore {
  /** Bucket name (AWS) or folder (local), for messages and manifests. */
  readonly name: string;
  head(key: string): Promise<ObjectInfo | null>;
  read(key: string, range?: { start: number; end: number }): AsyncIterable<Uint8Array>;
  write(key: string): ObjectWriter;
  put(key: string, body: Uint8Array | string): Promise<void>;
  list(prefix: string): AsyncIterable<ObjectInfo>;
  delete(key: string): Promise<void>;
  /**
   * Moves an object to another key of the same store (S3: CopyObject then DeleteObject; a folder: rename).
   * Repeating a finished move is harmless: when `from` is gone and `to` exists, nothing is done.
   */
  move(from: string, to: string): Promise<void>;
}

/** Starts the pipeline state machine for a batch; a second start for the same batch is refused, not repeated. */
export interface PipelineStarter {
  start(input: { dataset: string; batchId: string; manifestKey: string }): Promise<'started' | 'already-started'>;
}

export interface MetricDatum {
  MetricName: string;
  Unit?: string;
  Value: number;
  Dimensions?: { Name: string; Value: string }[];
}

/** CloudWatch metrics: PutMetricData on AWS, EMF lines locally. */
export interface MetricsPublisher {
  publish(namespace: string, data: MetricDatum[]): Promise<void>;
}
