import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FolderStore } from '../adapters/local/FolderStore.ts';
import { MemoryMergeLease } from '../adapters/local/MemoryMergeLease.ts';
import type { PipelineStarter } from '../ports.ts';
import { DISCOVERY_WINDOW_MS, LEASE_TTL_SECONDS, MergeQueue, mergeExecutionName } from './mergeQueue.ts';

let clock = Date.parse('2026-11-29T12:00:00Z');
const tick = () => {
  clock += 1000;
  return new Date(clock);
};

async function queue() {
  const lake = new FolderStore(await mkdtemp(join(tmpdir(), 'landfall-queue-')), 'lake');
  const lease = new MemoryMergeLease(() => clock);
  return { lake, lease, q: new MergeQueue(lake, lease, tick) };
}

const batch = (id: string) => ({ dataset: 'orders', batchId: id, manifestKey: `manifests/orders/${id}.json` });

/** The ingest function's starter, recording the merge runs it started; `running` says which are still running. */
function starter(running = new Set<string>()) {
  const started: string[] = [];
  const s: PipelineStarter = {
    start: async () => 'started',
    startMerge: async (_input, name) => {
      started.push(name);
      running.add(name);
    },
    isRunning: async (name) => running.has(name),
  };
  return { s, started, running };
}

describe('the merge queue', () => {
  it('keeps pending batches oldest first, once each, and at most the cap per take', async () => {
    const { q } = await queue();
    for (const id of ['b3', 'b1', 'b2']) expect(await q.enqueue(batch(id))).toBe('pending');
    expect(await q.enqueue(batch('b3'))).toBe('pending');
    expect((await q.pending('orders')).map((b) => b.batchId)).toEqual(['b3', 'b1', 'b2']);
    expect((await q.take('orders', 'run-1', 2)).map((b) => b.batchId)).toEqual(['b3', 'b1']);
  });

  it('a merged batch is not queued again by a redelivered event, but replay queues it again', async () => {
    const { q } = await queue();
    await q.enqueue(batch('b1'));
    await q.take('orders', 'run-1');
    expect(await q.finish('orders', 'run-1', ['orders/b1'])).toEqual({ more: false });
    expect(await q.isMerged('orders', 'b1')).toBe(true);
    expect(await q.enqueue(batch('b1'))).toBe('already-merged');
    expect(await q.pending('orders')).toEqual([]);
    await q.requeue(batch('b1'));
    expect((await q.pending('orders')).map((b) => b.batchId)).toEqual(['b1']);
  });

  it("a batch queued while a run merges is taken by that run's next round (the kicker lost the lease)", async () => {
    const { q } = await queue();
    const { s, started } = starter();
    await q.enqueue(batch('b1'));
    expect(await q.kick('orders', s)).toBe('merge-started');
    const run = started[0];
    const round1 = await q.take('orders', run);
    // Meanwhile: another batch lands; its kick finds the run running and starts nothing.
    await q.enqueue(batch('b2'));
    expect(await q.kick('orders', s)).toBe('merge-running');
    expect(started).toHaveLength(1);
    expect(
      await q.finish(
        'orders',
        run,
        round1.map((b) => `orders/${b.batchId}` as const),
      ),
    ).toEqual({ more: true });
    expect((await q.take('orders', run)).map((b) => b.batchId)).toEqual(['b2']);
    expect(await q.finish('orders', run, ['orders/b2'])).toEqual({ more: false });
  });

  it('a batch queued just after a run released the lease starts a new run, and the old one stops', async () => {
    const { q, lease } = await queue();
    const { s, started } = starter();
    await q.enqueue(batch('b1'));
    await q.kick('orders', s);
    await q.take('orders', started[0]);
    await q.enqueue(batch('b2'));
    // The old run releases between the new batch's enqueue and its kick: the kick wins the lease...
    await lease.release('orders', started[0]);
    expect(await q.kick('orders', s)).toBe('merge-started');
    // ...and the old run's finish sees b2 pending but cannot lead: the new run takes it.
    expect(await q.finish('orders', started[0], ['orders/b1'])).toEqual({ more: false });
    expect((await q.take('orders', started[1])).map((b) => b.batchId)).toEqual(['b2']);
  });

  it('takes over a lease whose run ended without releasing it, and refuses to plan for the run that lost it', async () => {
    const { q } = await queue();
    const { s, started, running } = starter();
    await q.enqueue(batch('b1'));
    await q.kick('orders', s);
    running.delete(started[0]); // timed out or aborted: no Catch ran
    expect(await q.kick('orders', s)).toBe('merge-started');
    expect(started).toHaveLength(2);
    await expect(q.take('orders', started[0])).rejects.toThrow(/held by .*-merge-.*, not/);
  });

  it('gives the lease back when the merge run cannot be started, so that the retried event starts it', async () => {
    const { q } = await queue();
    const failing: PipelineStarter = { ...starter().s, startMerge: () => Promise.reject(new Error('throttled')) };
    await q.enqueue(batch('b1'));
    await expect(q.kick('orders', failing)).rejects.toThrow('throttled');
    const { s, started } = starter();
    expect(await q.kick('orders', s)).toBe('merge-started');
    expect(started).toHaveLength(1);
  });

  it("a lease held by a run that never ends lapses after the state machine's timeout", async () => {
    const { q } = await queue();
    const { s, started } = starter(new Set(['stuck']));
    expect(await q.lead('orders', 'stuck')).toBe(true);
    await q.enqueue(batch('b1'));
    expect(await q.kick('orders', s)).toBe('merge-running');
    clock += LEASE_TTL_SECONDS * 1000;
    expect(await q.kick('orders', s)).toBe('merge-started');
    expect(started).toHaveLength(1);
  });
});

describe('the discovery crawl', () => {
  it('starts for a drifted batch or an unmatched file, at most once an hour', async () => {
    const { q } = await queue();
    expect(await q.takeDiscovery(false)).toBe(false);
    expect(await q.takeDiscovery(true)).toBe(true);
    expect(await q.takeDiscovery(true)).toBe(false); // within the window
    await q.requestDiscovery();
    clock += DISCOVERY_WINDOW_MS;
    expect(await q.takeDiscovery(false)).toBe(true); // the unmatched file, once the window passed
    clock += DISCOVERY_WINDOW_MS;
    expect(await q.takeDiscovery(false)).toBe(false); // nothing new since
  });
});

describe('merge execution names', () => {
  it('are valid Step Functions names of at most 80 characters, different for each run', () => {
    const now = new Date('2026-11-29T12:34:56.789Z');
    const a = mergeExecutionName('olist_orders', now);
    expect(a).toMatch(/^olist_orders-merge-20261129T123456Z-[a-z0-9]+$/);
    expect(mergeExecutionName('olist_orders', now)).not.toBe(a);
    expect(mergeExecutionName('x'.repeat(120), now).length).toBeLessThanOrEqual(80);
  });
});
