import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import FakeTimers from '@sinonjs/fake-timers';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { MemoryMergeLease } from '../adapters/local/MemoryMergeLease.ts';
import type { Contract } from '../contracts/contract.ts';
import { readManifest } from '../ingest/manifest.ts';
import { manifestKey } from '../lake/layout.ts';
import { NO_ROWS } from '../lake/rowCounts.ts';
import { ASL_FILE, LOCAL_SUBSTITUTIONS, substituteDefinition } from '../adapters/local/localPipeline.ts';
import { mergeGroups } from '../pipeline/mergeGroups.ts';
import { MergeQueue } from '../pipeline/mergeQueue.ts';
import { handlePipelineTask, type PipelineTask, type PlanContext } from '../pipeline/pipelineTask.ts';
import { mergeStatements, planMerge, type MergePlan } from '../pipeline/planMerge.ts';
import { athenaDialect, type CatalogNames } from '../pipeline/sqlDialect.ts';
import type { MergeLease, PipelineStarter } from '../ports.ts';
import {
  AthenaSim,
  AwsError,
  esmConcurrency,
  ESM_IDLE_POLLERS,
  GlueCrawlerSim,
  KEY_COLUMNS_SHARE,
  LambdaSim,
  PRICES,
  SqsQueueSim,
  SUMMARY_COLUMNS_SHARE,
  type SimClock,
} from './awsRules.ts';
import { MemoryStore } from './MemoryStore.ts';

/** The per-batch design Landfall had before merge runs (one execution, one crawl and one MERGE per batch), kept to compare. */
export const PER_BATCH_ASL_FILE = fileURLToPath(new URL('./perBatch.asl.json', import.meta.url));

export type BurstDesign = 'queued' | 'per-batch';

export interface BurstOptions {
  contracts: Contract[];
  files: number;
  /** How many of the contracts' datasets the files are spread over (round robin). */
  datasets: number;
  design: BurstDesign;
  /** Uploads land at random times within this many seconds. */
  withinSeconds?: number;
  /** The ingest function's ScalingConfig.MaximumConcurrency (queued design). */
  ingestMaxConcurrency?: number;
  /** The template's MergeWindowSeconds (queued design; default 60, as deployed). */
  mergeWindowSeconds?: number;
  seed?: number;
}

export interface BurstResult {
  design: BurstDesign;
  files: number;
  datasets: number;
  withinSeconds: number;
  mergeWindowSeconds: number;
  batchesPublished: number;
  batchesMerged: number;
  mergeStatements: number;
  crawlerRuns: number;
  commitConflicts: number;
  executions: number;
  failedExecutions: number;
  /** Failed executions by the error they failed with. */
  failures: Record<string, number>;
  stateTransitions: number;
  deadLetters: number;
  /** The most one statement scanned (the workgroup cancels a query over its cutoff, 200 GB by default). */
  maxBytesScanned: number;
  /** Simulated seconds from the first upload until the last batch was merged. */
  lastMergedAfterSeconds: number;
  costUsd: number;
  costByService: Record<string, number>;
}

const NAMES: CatalogNames = {
  raw: 'landfall_sim_raw',
  curated: 'landfall_sim_curated',
  summary: 'landfall_sim_summary',
  analytics: 'landfall_sim_analytics',
};
/** ASSUMPTION: the ingest function converts 40 MB of CSV a second (the benchmark), Parquet is 1/6 of the CSV. */
const CSV_BYTES_PER_MS = 40e3;
const PARQUET_RATIO = 6;
/** ASSUMPTION: a plan task takes 200 ms; a PutMetricData 50 ms. */
const PLAN_MS = 200;

/** A small deterministic random source (mulberry32), so that a burst is the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** DynamoDB requests of a lease, counted as the DynamoDB adapter makes them (a refused write reads the holder). */
function countingLease(inner: MergeLease, count: { reads: number; writes: number }): MergeLease {
  return {
    acquire: async (d, h, t) => {
      count.writes += 1;
      const r = await inner.acquire(d, h, t);
      if (!r.acquired) count.reads += 1;
      return r;
    },
    takeOver: async (d, f, h, t) => {
      count.writes += 1;
      return inner.takeOver(d, f, h, t);
    },
    release: async (d, h) => {
      count.writes += 1;
      return inner.release(d, h);
    },
  };
}

/**
 * A burst of uploads through the REAL state machine definition, run by the local interpreter, against the
 * simulated services of awsRules.ts, on a virtual clock (@sinonjs/fake-timers): simulated hours take seconds, and
 * every Retry, backoff and jitter of the ASL happens in simulated time.
 */
export async function runBurst(o: BurstOptions): Promise<BurstResult> {
  const rand = random(o.seed ?? 13);
  const chosen = o.contracts.slice(0, Math.max(1, Math.min(o.datasets, o.contracts.length)));
  const definitionText = await readFile(o.design === 'queued' ? ASL_FILE : PER_BATCH_ASL_FILE, 'utf8');
  const substitutions = { ...LOCAL_SUBSTITUTIONS, MergeWindowSeconds: String(o.mergeWindowSeconds ?? 60) };
  const definition = JSON.parse(substituteDefinition(definitionText, substitutions)) as StateMachineDefinition;
  const machine = new StateMachine(definition);
  const start = Date.parse('2026-11-30T06:00:00Z');
  const clock = FakeTimers.withGlobal(globalThis).install({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    now: start,
  });
  const sim: SimClock = {
    now: () => clock.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
  };
  try {
    let settled = false;
    const result = simulate(o, chosen, machine, sim, rand, start).finally(() => {
      settled = true;
    });
    let idle = 0;
    while (!settled) {
      if (clock.countTimers() === 0) {
        // Nothing scheduled: let promise chains settle; many turns with no timer and no end would be a deadlock.
        await new Promise((resolve) => setImmediate(resolve));
        if (++idle > 10_000)
          throw new Error('the burst simulation stopped making progress (no timer pending, not finished)');
        continue;
      }
      idle = 0;
      await clock.nextAsync();
    }
    return await result;
  } finally {
    clock.uninstall();
  }
}

async function simulate(
  o: BurstOptions,
  chosen: Contract[],
  machine: StateMachine,
  sim: SimClock,
  rand: () => number,
  start: number,
): Promise<BurstResult> {
  const lake = new MemoryStore('landfall-lake-sim');
  const dynamo = { reads: 0, writes: 0 };
  const groups = mergeGroups(o.contracts);
  const queue = new MergeQueue(
    lake,
    countingLease(new MemoryMergeLease(() => sim.now()), dynamo),
    () => new Date(sim.now()),
    groups,
  );
  const planCtx: PlanContext = {
    lake,
    contracts: o.contracts,
    dialect: athenaDialect('s3://landfall-lake-sim'),
    names: NAMES,
    queue,
    rememberDdl: true,
    lakeUri: 's3://landfall-lake-sim',
  };
  const athena = new AthenaSim(sim);
  const crawler = new GlueCrawlerSim(sim, () => 60_000 + rand() * 60_000);
  const queued = o.design === 'queued';
  // Queued: the ingest function reads the landing queue with bounded concurrency. Per batch: S3 invokes it
  // asynchronously, up to the account's 1,000 concurrent executions.
  const ingestFn = new LambdaSim(sim, 'ingest', 3008, queued ? (o.ingestMaxConcurrency ?? 10) : 1000);
  const planFn = new LambdaSim(sim, 'plan', 512, 1000);
  const landing = new SqsQueueSim<{ key: string; dataset: string; bytes: number }>(sim, 5_400_000, 3);
  const counters = {
    maxScan: 0,
    cloudwatch: 0,
    transitions: 0,
    executions: 0,
    failed: 0,
    published: 0,
    mergeStatements: 0,
    lastMerged: start,
  };
  const running = new Set<string>();
  const executionsDone: Promise<void>[] = [];
  const rawBytes = new Map<string, number>(); // `${dataset}/${batch}` -> Parquet bytes
  const curatedBytes = new Map<string, number>();
  const merged = new Set<string>();
  const failures: Record<string, number> = {};

  // What each SQL statement of a round reads and commits, by its text: a MERGE reads its batches' raw files and
  // the key columns of the whole curated table (the ON clause is on the key only), a summary its batches and the
  // columns it uses of the tables it reads.
  const statements = new Map<
    string,
    { kind: 'ddl' } | { kind: 'dml'; table: string; raw: number; reads: string[]; share: number; grows?: string }
  >();
  const learn = (plan: MergePlan) => {
    const bytesOf = (ds: string) =>
      plan.batches.filter((b) => b.dataset === ds).reduce((n, b) => n + (rawBytes.get(`${ds}/${b.batchId}`) ?? 0), 0);
    for (const s of [...plan.ddl, ...plan.views]) statements.set(s.sql, { kind: 'ddl' });
    // Capturing old keys reads the stored rows of the batches' keys (key columns), forgetting them deletes a few rows.
    for (const s of plan.captures)
      statements.set(s.sql, {
        kind: 'dml',
        table: `capture.${s.name}`,
        raw: 0,
        reads: [s.name.split(':').pop()!],
        share: KEY_COLUMNS_SHARE,
      });
    for (const s of plan.forgets) statements.set(s.sql, { kind: 'dml', table: s.name, raw: 0, reads: [], share: 0 });
    for (const m of mergeStatements(plan)) {
      const ds = m.dataset!;
      statements.set(m.sql, {
        kind: 'dml',
        table: `curated.${ds}`,
        raw: bytesOf(ds),
        reads: [ds],
        share: KEY_COLUMNS_SHARE,
        grows: ds,
      });
    }
    for (const s of plan.summaries) {
      const reads = [...s.sql.matchAll(new RegExp(`${NAMES.curated}\\.([a-z_0-9]+)`, 'g'))].map((x) => x[1]);
      const raw = [...new Set(plan.batches.map((b) => b.dataset))]
        .filter((ds) => s.sql.includes(`${NAMES.raw}.${ds} `))
        .reduce((n, ds) => n + bytesOf(ds), 0);
      statements.set(s.sql, {
        kind: 'dml',
        table: s.name.replace('summary:', ''),
        raw,
        reads: [...new Set(reads)],
        share: SUMMARY_COLUMNS_SHARE,
      });
    }
  };
  const runSql = async ({ QueryString }: { QueryString: string }) => {
    const st = statements.get(QueryString) ?? { kind: 'ddl' as const };
    if (st.kind === 'ddl') {
      await athena.run({ kind: 'ddl', bytesScanned: 0 });
    } else {
      if (st.grows) counters.mergeStatements += 1;
      const scanned = st.raw + st.share * st.reads.reduce((n, ds) => n + (curatedBytes.get(ds) ?? 0), 0);
      await athena.run({ kind: 'dml', commitsTo: st.table, bytesScanned: scanned });
      if (st.grows) curatedBytes.set(st.grows, (curatedBytes.get(st.grows) ?? 0) + st.raw);
      counters.maxScan = Math.max(counters.maxScan, scanned);
      return {
        QueryExecution: { Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: Math.round(scanned) } },
      };
    }
    return { QueryExecution: { Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 0 } } };
  };
  const putMetrics = async () => {
    counters.cloudwatch += 1;
    await sim.sleep(50);
    return {};
  };
  const plan = (task: PipelineTask) =>
    planFn.invoke(PLAN_MS, async () => {
      const out = await handlePipelineTask(planCtx, task);
      if (task.action === 'take') learn(out as MergePlan);
      if (task.action === 'finish') {
        for (const t of task.taken) merged.add(t);
        if (task.taken.length) counters.lastMerged = sim.now();
      }
      return out;
    });

  const handlers: Record<string, (input: never) => unknown> = queued
    ? {
        Enqueue: plan,
        TakePending: plan,
        FinishRound: plan,
        ReleaseLease: plan,
        RunDdl: runSql,
        RunCapture: runSql,
        RunMerge: runSql,
        RunSummary: runSql,
        RunForget: runSql,
        RunView: runSql,
        RunMaintenance: runSql,
        PublishMetrics: putMetrics,
        PublishFailure: putMetrics,
        RecordMergeScan: putMetrics,
        RecordSummaryScan: putMetrics,
        UpdateDiscoveryTargets: async ({ Name }: { Name: string }) => {
          if (crawler.state().State === 'RUNNING')
            throw new AwsError('Glue.CrawlerRunningException', `Crawler with name ${Name} is running`);
          return {};
        },
        StartDiscoveryCrawl: async ({ Name }: { Name: string }) => {
          crawler.start(Name);
          return {};
        },
      }
    : {
        // The per-batch design: a plan of one batch, a crawl, one MERGE per batch.
        PlanBatch: (input: { dataset: string; batchId: string; manifestKey: string }) =>
          planFn.invoke(PLAN_MS, async () => {
            const m = (await readManifest(lake, input.manifestKey))!;
            const p = planMerge({ contracts: o.contracts, dialect: planCtx.dialect, names: NAMES }, m.dataset, [m]);
            learn(p);
            return {
              dataset: m.dataset,
              batchId: m.batchId,
              run: p.run,
              crawler: 'landfall-sim-raw',
              ddl: p.ddl,
              // The per-batch design's one MERGE (a batch of the simulation spans a few days: one statement).
              merge: p.merges[0]?.statements[0],
              summaries: p.summaries,
              views: p.views,
              metrics: {
                rowsWritten: m.rowsWritten,
                rowsRejected: 0,
                rejectRatio: 0,
                thresholdExceeded: 0,
                schemaDrift: 0,
                merged: 1,
              },
            };
          }),
        StartCrawler: async ({ Name }: { Name: string }) => {
          crawler.start(Name);
          return {};
        },
        GetCrawler: async ({ Name }: { Name: string }) => ({ Crawler: { Name, ...crawler.state() } }),
        RunDdl: runSql,
        RunSummary: runSql,
        RunView: runSql,
        Merge: async (task: { QueryString: string }) => {
          const r = await runSql(task);
          const ds = (statements.get(task.QueryString) as { grows?: string }).grows!;
          const batch = /_batch_id = '([^']+)'/.exec(task.QueryString)?.[1];
          merged.add(`${ds}/${batch}`);
          counters.lastMerged = sim.now();
          return r;
        },
        PublishMetrics: putMetrics,
        PublishFailure: putMetrics,
      };

  const startExecution = (input: object, name: string) => {
    counters.executions += 1;
    running.add(name);
    const execution = machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
      context: { Execution: { Name: name, Input: input as never, StartTime: new Date(sim.now()).toISOString() } },
    });
    const transitions = (async () => {
      for await (const e of execution.eventLogs) if (e.type === 'StateEntered') counters.transitions += 1;
    })();
    executionsDone.push(
      execution.result
        .then(
          () => undefined,
          (err: Error & { cause?: { name?: string } }) => {
            counters.failed += 1;
            const name = err.cause?.name ?? err.name;
            failures[name] = (failures[name] ?? 0) + 1;
          },
        )
        .finally(() => {
          running.delete(name);
        })
        .then(() => transitions.catch(() => undefined)),
    );
  };
  const starter: PipelineStarter = {
    start: async () => 'started',
    startMerge: async (input, name) => startExecution(input, name),
    isRunning: async (name) => running.has(name),
  };
  // The plan function starts merge runs too (the daily maintenance, a run handing over).
  planCtx.starter = starter;

  let batchSeq = 0;
  const ingest = async (file: { key: string; dataset: string; bytes: number }) => {
    const batchId = `b${String(++batchSeq).padStart(5, '0')}`;
    await ingestFn.invoke(file.bytes / CSV_BYTES_PER_MS + 100, async () => {
      const parquet = Math.ceil(file.bytes / PARQUET_RATIO);
      rawBytes.set(`${file.dataset}/${batchId}`, parquet);
      const contract = o.contracts.find((c) => c.dataset === file.dataset)!;
      const rows = Math.floor(file.bytes / 120);
      const ingestDate = new Date(sim.now()).toISOString().slice(0, 10);
      const m = {
        manifestVersion: 1,
        batchId,
        dataset: file.dataset,
        status: 'published',
        ingestDate,
        source: { key: file.key, size: file.bytes, etag: batchId, bucket: 'landfall-landing-sim', compression: 'none' },
        startedAt: new Date(sim.now()).toISOString(),
        finishedAt: new Date(sim.now()).toISOString(),
        ...NO_ROWS,
        rowsRead: rows,
        rowsWritten: rows,
        rejectsByReason: {},
        rejectRatio: 0,
        maxRejectRatio: contract.quality.maxRejectRatio,
        rejectThresholdExceeded: false,
        // No Parquet is written here, so the plan reads no footer: MERGEs are not pruned (KEY_COLUMNS_SHARE of the table).
        files: [],
        quarantine: null,
        header: { found: null, reordered: false },
        schema: [],
      };
      await lake.put(manifestKey(file.dataset, batchId), JSON.stringify(m));
      counters.published += 1;
      const b = { dataset: file.dataset, batchId, manifestKey: manifestKey(file.dataset, batchId) };
      if (queued) {
        await queue.enqueue(b);
        await queue.kick(file.dataset, starter);
      } else {
        startExecution(b, `${file.dataset}-${batchId}`);
      }
    });
  };

  // The uploads.
  const uploads = Array.from({ length: o.files }, (_, i) => {
    const dataset = chosen[i % chosen.length].dataset;
    return {
      at: rand() * (o.withinSeconds ?? 60) * 1000,
      key: `${dataset}/export-${String(i).padStart(5, '0')}.csv`,
      dataset,
      bytes: Math.round(1e6 + rand() * 9e6),
    };
  });
  let landed = 0;
  let inflight = 0;
  for (const u of uploads) {
    setTimeout(() => {
      landed += 1;
      if (queued) {
        landing.send(u);
        return;
      }
      // S3 invokes the function asynchronously; Lambda retries a throttled event for up to 6 hours.
      inflight += 1;
      const attempt = (): Promise<void> =>
        ingest(u).catch(async (err: Error) => {
          if (!(err instanceof AwsError)) throw err;
          await sim.sleep(1000 + rand() * 60_000);
          return attempt();
        });
      void attempt().finally(() => {
        inflight -= 1;
      });
    }, u.at);
  }

  // The SQS event source mapping: pollers up to MaximumConcurrency, one message per invocation.
  let firstMessageAt: number | undefined;
  let polling = queued;
  const poller = async () => {
    while (polling) {
      if (landing.size && firstMessageAt === undefined) firstMessageAt = sim.now();
      const limit = esmConcurrency(
        o.ingestMaxConcurrency ?? 10,
        firstMessageAt === undefined ? 0 : (sim.now() - firstMessageAt) / 1000,
      );
      if (inflight >= limit) {
        await sim.sleep(1000);
        continue;
      }
      const m = landing.receive();
      if (!m) {
        // Idle pollers long-poll; each of them is a request every 20 s.
        landing.requests += ESM_IDLE_POLLERS - 1;
        await landing.longPoll();
        continue;
      }
      inflight += 1;
      void ingest(m.body)
        .then(
          () => landing.delete(m.id),
          () => undefined,
        )
        .finally(() => {
          inflight -= 1;
        });
      await sim.sleep(0);
    }
  };
  const polled = poller();

  // Until every upload landed and was ingested, and every execution ended.
  while (landed < o.files || landing.size || inflight || running.size) await sim.sleep(1000);
  polling = false;
  await polled;
  await Promise.all(executionsDone);

  const s3Requests = lake.requests.put * PRICES.s3Put + lake.requests.get * PRICES.s3Get;
  const costByService: Record<string, number> = {
    lambda: ingestFn.cost + planFn.cost,
    stepFunctions: counters.transitions * PRICES.stepFunctionsTransition,
    athena: athena.cost,
    glueCrawler: crawler.cost,
    sqs: landing.requests * PRICES.sqsRequest,
    dynamodb: dynamo.writes * PRICES.dynamoWrite + dynamo.reads * PRICES.dynamoRead,
    s3: s3Requests,
    cloudwatch: counters.cloudwatch * PRICES.cloudwatchRequest,
  };
  const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
  return {
    design: o.design,
    files: o.files,
    datasets: chosen.length,
    withinSeconds: o.withinSeconds ?? 60,
    mergeWindowSeconds: o.design === 'queued' ? (o.mergeWindowSeconds ?? 60) : 0,
    batchesPublished: counters.published,
    batchesMerged: merged.size,
    mergeStatements: counters.mergeStatements,
    crawlerRuns: crawler.runs,
    commitConflicts: athena.conflicts,
    executions: counters.executions,
    failedExecutions: counters.failed,
    failures,
    stateTransitions: counters.transitions,
    deadLetters: landing.deadLetters.length,
    maxBytesScanned: Math.round(counters.maxScan),
    lastMergedAfterSeconds: Math.round((counters.lastMerged - start) / 1000),
    costUsd: round6(Object.values(costByService).reduce((a, b) => a + b, 0)),
    costByService: Object.fromEntries(Object.entries(costByService).map(([k, v]) => [k, round6(v)])),
  };
}
