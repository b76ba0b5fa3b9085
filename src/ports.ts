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
  /**
   * The object's bytes, or those of `range` ([start, end)). With `reuse`, a store may hand out the same buffers again:
   * the caller is done with each chunk before it asks for the next (a folder reads into three buffers in turn).
   */
  read(key: string, range?: { start: number; end: number }, options?: { reuse?: boolean }): AsyncIterable<Uint8Array>;
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

/** Starts executions of the pipeline state machine. */
export interface PipelineStarter {
  /** A handed-off batch's execution (converts, publishes, queues it); a second start for the batch is refused, not repeated. */
  start(input: { dataset: string; batchId: string; manifestKey: string }): Promise<'started' | 'already-started'>;
  /** A merge run of the dataset's pending batches, under the execution name that holds the dataset's merge lease. */
  startMerge(input: { dataset: string; merge: true }, name: string): Promise<void>;
  /** Whether the named execution is still running (a lease whose holder ended without releasing it may be taken over). */
  isRunning(name: string): Promise<boolean>;
}

/**
 * At most one merge run per dataset at a time: a lease held by the run's execution name, lapsing after `ttlSeconds`
 * (the state machine's timeout) if its holder never releases it. DynamoDB conditional writes on AWS.
 */
export interface MergeLease {
  /** Takes the lease when it is free, lapsed or already this holder's; otherwise says who holds it. */
  acquire(
    dataset: string,
    holder: string,
    ttlSeconds: number,
  ): Promise<{ acquired: true } | { acquired: false; heldBy: string }>;
  /** Takes the lease from a holder that is known to have ended, only if that holder still has it. */
  takeOver(dataset: string, from: string, holder: string, ttlSeconds: number): Promise<boolean>;
  /** Gives the lease up, only if `holder` has it. */
  release(dataset: string, holder: string): Promise<void>;
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
