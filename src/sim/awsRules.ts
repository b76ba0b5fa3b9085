/**
 * The AWS behaviour and prices the burst simulation (`landfall burst`) keeps, in one file. Each rule says where
 * AWS documents it; each is tested in awsRules.test.ts. Figures marked ASSUMPTION are not documented by AWS (how
 * long a query or a crawl takes): they are stated here so that a reader can change them and see what follows.
 * Prices: us-east-1, public price pages, November 2026.
 */

export const PRICES = {
  /** Lambda, arm64: per GB-second, and per request. */
  lambdaGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1e6,
  /** Step Functions Standard: per state transition. */
  stepFunctionsTransition: 0.025 / 1000,
  /** Athena SQL: per TB scanned (10 MB minimum per query; DDL and failed queries are not charged). */
  athenaPerTb: 5,
  /** Glue crawler: per DPU-hour, billed per second with a 10-minute minimum per crawl. */
  glueDpuHour: 0.44,
  /** SQS standard queue: per request (send, receive, delete). */
  sqsRequest: 0.4 / 1e6,
  /** DynamoDB on-demand: per write and per read request unit. */
  dynamoWrite: 0.625 / 1e6,
  dynamoRead: 0.125 / 1e6,
  /** S3 Standard: PUT/COPY/POST/LIST, and GET/HEAD, per request. */
  s3Put: 0.005 / 1000,
  s3Get: 0.0004 / 1000,
  /** CloudWatch PutMetricData: per request. */
  cloudwatchRequest: 0.01 / 1000,
} as const;

/** Athena bills bytes scanned rounded up to the next megabyte, at least 10 MB per query (Athena pricing). */
export function athenaQueryCost(bytesScanned: number, kind: 'dml' | 'ddl', succeeded: boolean): number {
  if (kind === 'ddl' || !succeeded) return 0;
  const mb = Math.max(10, Math.ceil(bytesScanned / (1024 * 1024)));
  return (mb / (1024 * 1024)) * PRICES.athenaPerTb;
}

/** A crawl is billed per second of DPU time, at least 10 minutes (Glue pricing: crawlers). */
export function crawlerCost(seconds: number, dpus = CRAWLER_DPUS): number {
  return (Math.max(seconds, 600) / 3600) * dpus * PRICES.glueDpuHour;
}

/** ASSUMPTION: the DPUs a small crawl uses (one: $0.07 for a crawl under 10 minutes). */
export const CRAWLER_DPUS = 1;

/** Lambda bills duration per millisecond, rounded up, times the memory in GB, plus the request (Lambda pricing). */
export function lambdaCost(durationMs: number, memoryMb: number): number {
  return (Math.ceil(durationMs) / 1000) * (memoryMb / 1024) * PRICES.lambdaGbSecond + PRICES.lambdaRequest;
}

/** Athena: running and queued queries count against the account's active query quota; one more is refused. */
export const ATHENA_ACTIVE_DML_QUOTA = 25;
export const ATHENA_ACTIVE_DDL_QUOTA = 20;

/** An error as the Step Functions service integrations name it, so that the ASL's Retry rules apply. */
export class AwsError extends Error {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}

/** What the simulation runs on: a clock (virtual, in milliseconds) and a way to let time pass. */
export interface SimClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/**
 * Glue crawler: one crawl at a time per crawler; StartCrawler while it runs fails with CrawlerRunningException
 * (Glue API: StartCrawler). State RUNNING, then STOPPING, then READY (GetCrawler); here STOPPING is folded into
 * the run. ASSUMPTION: a crawl of new partitions takes 60 to 120 s.
 */
export class GlueCrawlerSim {
  runs = 0;
  cost = 0;
  private runningUntil = -1;

  constructor(
    private readonly clock: SimClock,
    private readonly durationMs: () => number,
  ) {}

  start(name: string): void {
    if (this.clock.now() < this.runningUntil)
      throw new AwsError('Glue.CrawlerRunningException', `Crawler with name ${name} has already started`);
    const d = this.durationMs();
    this.runningUntil = this.clock.now() + d;
    this.runs += 1;
    this.cost += crawlerCost(d / 1000);
  }

  state(): { State: 'RUNNING' | 'READY'; LastCrawl?: { Status: 'SUCCEEDED' } } {
    return this.clock.now() < this.runningUntil
      ? { State: 'RUNNING' }
      : { State: 'READY', LastCrawl: { Status: 'SUCCEEDED' } };
  }
}

/**
 * ASSUMPTION: the share of a table's bytes a query reads when it needs only some columns (Parquet is read by
 * column): a MERGE joins on the key columns of the whole target table; a summary reads the columns it uses.
 */
export const KEY_COLUMNS_SHARE = 0.15;
export const SUMMARY_COLUMNS_SHARE = 0.3;

export interface AthenaQuery {
  kind: 'dml' | 'ddl';
  /** The Iceberg table a DML statement commits to (MERGE INTO ...), if any. */
  commitsTo?: string;
  bytesScanned: number;
}

/**
 * Athena (engine 3) with Iceberg tables.
 * - Active DML/DDL queries (running and queued) are limited per account; over the quota StartQueryExecution
 *   fails with TooManyRequestsException (Athena service quotas).
 * - A workgroup's BytesScannedCutoffPerQuery cancels a query that would scan more (Athena workgroups).
 * - Iceberg commits are optimistic: a commit fails when another commit to the same table landed after the query
 *   read the table (ICEBERG_COMMIT_ERROR; Athena Iceberg troubleshooting). The .sync integration fails the
 *   task with States.TaskFailed.
 * - ASSUMPTION: a query takes 1 s (DDL) or 2 s (DML) before it reads, then scans 100 MB/s.
 */
export class AthenaSim {
  queries = 0;
  conflicts = 0;
  cost = 0;
  bytesScanned = 0;
  private active = { dml: 0, ddl: 0 };
  private readonly lastCommit = new Map<string, number>();

  constructor(
    private readonly clock: SimClock,
    private readonly cutoffBytes = 200e9,
  ) {}

  static durationMs(q: AthenaQuery): number {
    return (q.kind === 'ddl' ? 1000 : 2000) + (q.bytesScanned / 100e6) * 1000;
  }

  async run(q: AthenaQuery): Promise<void> {
    const quota = q.kind === 'dml' ? ATHENA_ACTIVE_DML_QUOTA : ATHENA_ACTIVE_DDL_QUOTA;
    if (this.active[q.kind] >= quota)
      throw new AwsError(
        'Athena.TooManyRequestsException',
        `active ${q.kind.toUpperCase()} queries are at the quota (${quota})`,
      );
    this.active[q.kind] += 1;
    this.queries += 1;
    const started = this.clock.now();
    try {
      if (q.bytesScanned > this.cutoffBytes)
        throw new AwsError(
          'States.TaskFailed',
          'Query exhausted the workgroup data usage limit (BytesScannedCutoffPerQuery)',
        );
      await this.clock.sleep(AthenaSim.durationMs(q));
      if (q.commitsTo) {
        if ((this.lastCommit.get(q.commitsTo) ?? -1) > started) {
          this.conflicts += 1;
          throw new AwsError(
            'States.TaskFailed',
            `ICEBERG_COMMIT_ERROR: Failed to commit Iceberg update to table ${q.commitsTo}: a concurrent commit won`,
          );
        }
        this.lastCommit.set(q.commitsTo, this.clock.now());
      }
      this.bytesScanned += q.bytesScanned;
      this.cost += athenaQueryCost(q.bytesScanned, q.kind, true);
    } finally {
      this.active[q.kind] -= 1;
    }
  }
}

/**
 * SQS standard queue (SQS developer guide): a received message is invisible for the visibility timeout; if it is
 * not deleted by then it is delivered again, and after maxReceiveCount receives it moves to the dead-letter queue
 * (redrive policy) instead.
 */
export class SqsQueueSim<T> {
  requests = 0;
  readonly deadLetters: T[] = [];
  private readonly messages: { id: number; body: T; visibleAt: number; receives: number }[] = [];
  private seq = 0;
  private waiting: (() => void)[] = [];

  constructor(
    private readonly clock: SimClock,
    readonly visibilityTimeoutMs: number,
    readonly maxReceiveCount: number,
  ) {}

  send(body: T): void {
    this.requests += 1;
    this.messages.push({ id: ++this.seq, body, visibleAt: this.clock.now(), receives: 0 });
    const w = this.waiting;
    this.waiting = [];
    for (const wake of w) wake();
  }

  /**
   * A long poll (ReceiveMessage with WaitTimeSeconds, 20 s at most): returns when a message is sent or the wait
   * is over, whichever comes first. One request.
   */
  async longPoll(waitMs = 20_000): Promise<void> {
    this.requests += 1;
    await Promise.race([this.clock.sleep(waitMs), new Promise<void>((resolve) => this.waiting.push(resolve))]);
  }

  /** One visible message, now invisible for the visibility timeout (or undefined). */
  receive(): { id: number; body: T } | undefined {
    this.requests += 1;
    const now = this.clock.now();
    for (let i = 0; i < this.messages.length; i++) {
      const m = this.messages[i];
      if (m.visibleAt > now) continue;
      if (m.receives >= this.maxReceiveCount) {
        this.messages.splice(i--, 1);
        this.deadLetters.push(m.body);
        continue;
      }
      m.receives += 1;
      m.visibleAt = now + this.visibilityTimeoutMs;
      return { id: m.id, body: m.body };
    }
    return undefined;
  }

  delete(id: number): void {
    this.requests += 1;
    const i = this.messages.findIndex((m) => m.id === id);
    if (i >= 0) this.messages.splice(i, 1);
  }

  get size(): number {
    return this.messages.length;
  }
}

/**
 * Lambda concurrency (Lambda developer guide): an invocation beyond the function's reserved concurrency, or the
 * account's unreserved concurrency, is throttled (TooManyRequestsException). The first invocation on each new
 * execution environment pays a cold start. ASSUMPTION: cold start 300 ms (measured for the ingest bundle: 286 ms
 * to the first row).
 */
export class LambdaSim {
  invocations = 0;
  throttles = 0;
  cost = 0;
  private running = 0;
  private warm = 0;

  constructor(
    private readonly clock: SimClock,
    readonly name: string,
    readonly memoryMb: number,
    readonly concurrencyLimit: number,
  ) {}

  /** Runs `work` at the end of an invocation of `durationMs` (plus a cold start on a new environment). */
  async invoke<R>(durationMs: number, work: () => Promise<R>): Promise<R> {
    if (this.running >= this.concurrencyLimit) {
      this.throttles += 1;
      throw new AwsError(
        'Lambda.TooManyRequestsException',
        `Rate Exceeded (${this.name}: ${this.concurrencyLimit} concurrent)`,
      );
    }
    this.running += 1;
    const cold = this.warm < this.running ? 300 : 0;
    if (cold) this.warm += 1;
    try {
      await this.clock.sleep(cold + durationMs);
      this.invocations += 1;
      this.cost += lambdaCost(cold + durationMs, this.memoryMb);
      return await work();
    } finally {
      this.running -= 1;
    }
  }
}

/**
 * SQS event source mapping (Lambda developer guide, "Using Lambda with Amazon SQS"): pollers long-poll the queue
 * (an empty queue still costs their ReceiveMessage requests: 5 pollers, a 20 s long poll each); while messages wait
 * they start at 5 concurrent invocations and add up to 300 a minute, never more than ScalingConfig.MaximumConcurrency.
 */
export const ESM_IDLE_POLLERS = 5;

export function esmConcurrency(maximumConcurrency: number, secondsSinceFirstMessage: number): number {
  return Math.min(maximumConcurrency, 5 + Math.floor((300 / 60) * secondsSinceFirstMessage));
}
