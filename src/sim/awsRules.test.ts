import FakeTimers from '@sinonjs/fake-timers';
import { describe, expect, it } from 'vitest';
import {
  ATHENA_ACTIVE_DML_QUOTA,
  AthenaSim,
  athenaQueryCost,
  crawlerCost,
  esmConcurrency,
  GlueCrawlerSim,
  lambdaCost,
  LambdaSim,
  PRICES,
  SqsQueueSim,
  type SimClock,
} from './awsRules.ts';

/** A virtual clock of its own (not installed globally): tests move it with tickAsync. */
function virtual() {
  const clock = FakeTimers.createClock(0);
  const sim: SimClock = {
    now: () => clock.now,
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        clock.setTimeout(() => resolve(), ms);
      }),
  };
  return { clock, sim };
}

const MB = 1024 * 1024;

describe('Athena pricing: bytes scanned rounded up to the megabyte, 10 MB at least; DDL and failed queries free', () => {
  it('charges 10 MB for a tiny query, rounds 15.5 MB up to 16, and nothing for DDL or a failed query', () => {
    const perMb = PRICES.athenaPerTb / (1024 * 1024);
    expect(athenaQueryCost(1, 'dml', true)).toBeCloseTo(10 * perMb, 12);
    expect(athenaQueryCost(15.5 * MB, 'dml', true)).toBeCloseTo(16 * perMb, 12);
    expect(athenaQueryCost(1e12, 'ddl', true)).toBe(0);
    expect(athenaQueryCost(1e12, 'dml', false)).toBe(0);
  });
});

describe('Glue crawler: one crawl at a time, billed with a 10-minute minimum', () => {
  it('bills a 90 s crawl as 10 minutes and a 15-minute crawl as 15', () => {
    expect(crawlerCost(90)).toBeCloseTo((600 / 3600) * 0.44, 10);
    expect(crawlerCost(900)).toBeCloseTo((900 / 3600) * 0.44, 10);
  });

  it('refuses StartCrawler while a crawl runs (CrawlerRunningException), and is READY with a successful last crawl after', async () => {
    const { clock, sim } = virtual();
    const crawler = new GlueCrawlerSim(sim, () => 90_000);
    crawler.start('raw');
    expect(crawler.state().State).toBe('RUNNING');
    expect(() => crawler.start('raw')).toThrow(expect.objectContaining({ name: 'Glue.CrawlerRunningException' }));
    await clock.tickAsync(90_000);
    expect(crawler.state()).toEqual({ State: 'READY', LastCrawl: { Status: 'SUCCEEDED' } });
    crawler.start('raw');
    expect(crawler.runs).toBe(2);
    expect(crawler.cost).toBeCloseTo(2 * crawlerCost(90), 10);
  });
});

describe('Athena with Iceberg tables', () => {
  it('fails the second of two overlapping commits to one table with ICEBERG_COMMIT_ERROR (States.TaskFailed), not commits to other tables', async () => {
    const { clock, sim } = virtual();
    const athena = new AthenaSim(sim);
    const a = athena.run({ kind: 'dml', commitsTo: 'curated.orders', bytesScanned: 0 });
    await clock.tickAsync(500);
    const b = athena.run({ kind: 'dml', commitsTo: 'curated.orders', bytesScanned: 0 }).then(
      () => null,
      (e: Error) => e,
    );
    const c = athena.run({ kind: 'dml', commitsTo: 'curated.items', bytesScanned: 0 });
    await clock.tickAsync(5_000);
    await a;
    await c;
    expect(await b).toMatchObject({
      name: 'States.TaskFailed',
      message: expect.stringContaining('ICEBERG_COMMIT_ERROR'),
    });
    expect(athena.conflicts).toBe(1);
    // One after the other, both commit.
    const d = athena.run({ kind: 'dml', commitsTo: 'curated.orders', bytesScanned: 0 });
    await clock.tickAsync(5_000);
    await expect(d).resolves.toBeUndefined();
  });

  it('takes longer the more it scans, and bills what it scanned', async () => {
    const { clock, sim } = virtual();
    const athena = new AthenaSim(sim);
    let done = false;
    void athena.run({ kind: 'dml', bytesScanned: 1e9 }).then(() => {
      done = true;
    });
    await clock.tickAsync(AthenaSim.durationMs({ kind: 'dml', bytesScanned: 1e9 }) - 1);
    expect(done).toBe(false);
    await clock.tickAsync(1);
    expect(done).toBe(true);
    expect(athena.cost).toBeCloseTo(athenaQueryCost(1e9, 'dml', true), 12);
  });

  it('refuses a query over the active DML quota (TooManyRequestsException) and one over the workgroup scan cutoff', async () => {
    const { clock, sim } = virtual();
    const athena = new AthenaSim(sim, 10e9);
    const running = Array.from({ length: ATHENA_ACTIVE_DML_QUOTA }, () => athena.run({ kind: 'dml', bytesScanned: 0 }));
    await expect(athena.run({ kind: 'dml', bytesScanned: 0 })).rejects.toMatchObject({
      name: 'Athena.TooManyRequestsException',
    });
    await clock.tickAsync(10_000);
    await Promise.all(running);
    await expect(athena.run({ kind: 'dml', bytesScanned: 11e9 })).rejects.toThrow(/BytesScannedCutoffPerQuery/);
  });
});

describe('SQS: visibility timeout, redelivery, dead-letter queue after maxReceiveCount', () => {
  it('hides a received message for the visibility timeout, delivers it again, and moves it to the dead-letter queue after maxReceiveCount receives', async () => {
    const { clock, sim } = virtual();
    const q = new SqsQueueSim<string>(sim, 60_000, 2);
    q.send('object-1');
    expect(q.receive()?.body).toBe('object-1');
    expect(q.receive()).toBeUndefined();
    await clock.tickAsync(60_000);
    expect(q.receive()?.body).toBe('object-1');
    await clock.tickAsync(60_000);
    expect(q.receive()).toBeUndefined();
    expect(q.deadLetters).toEqual(['object-1']);
    expect(q.size).toBe(0);
  });

  it('forgets a deleted message', () => {
    const { sim } = virtual();
    const q = new SqsQueueSim<string>(sim, 60_000, 3);
    q.send('a');
    q.delete(q.receive()!.id);
    expect(q.size).toBe(0);
    expect(q.requests).toBe(3);
  });
});

describe('Lambda: concurrency, cold starts, billing', () => {
  it('throttles an invocation beyond the concurrency limit, and bills per millisecond rounded up', async () => {
    const { clock, sim } = virtual();
    const fn = new LambdaSim(sim, 'ingest', 3008, 2);
    const a = fn.invoke(1000, async () => 'a');
    const b = fn.invoke(1000, async () => 'b');
    await expect(fn.invoke(1000, async () => 'c')).rejects.toMatchObject({ name: 'Lambda.TooManyRequestsException' });
    await clock.tickAsync(1300);
    expect(await Promise.all([a, b])).toEqual(['a', 'b']);
    expect(fn.throttles).toBe(1);
    // Both paid a cold start; the next one finds a warm environment.
    expect(fn.cost).toBeCloseTo(2 * lambdaCost(1300, 3008), 12);
    const c = fn.invoke(1000, async () => 'c');
    await clock.tickAsync(1000);
    expect(await c).toBe('c');
    expect(lambdaCost(1.2, 1024)).toBeCloseTo((2 / 1000) * PRICES.lambdaGbSecond + PRICES.lambdaRequest, 15);
  });

  it('scales an SQS event source from 5 concurrent invocations by up to 300 a minute, up to MaximumConcurrency', () => {
    expect(esmConcurrency(1000, 0)).toBe(5);
    expect(esmConcurrency(1000, 60)).toBe(305);
    expect(esmConcurrency(10, 60)).toBe(10);
  });
});
