import type { MergeLease, ObjectStore, PipelineStarter } from '../ports.ts';
import { LeaseLostError } from './errors.ts';
import { singleDatasetGroups, type MergeGroups } from './mergeGroups.ts';

/** A published (or whole-file rejected) batch waiting for its dataset's next merge run. */
export interface PendingBatch {
  dataset: string;
  batchId: string;
  manifestKey: string;
  queuedAt: string;
}

/** Batches one round of a merge run takes at the most: the MERGE statements, their source lists and the plan stay small. */
export const MERGE_BATCH_CAP = 100;

/** The state machine's TimeoutSeconds: a lease whose holder never released it lapses after this. */
export const LEASE_TTL_SECONDS = 14_400;

const pendingKey = (dataset: string, batchId: string) => `pipeline/${dataset}/pending/${batchId}.json`;
const maintenanceKey = (group: string) => `pipeline/_maintenance/${group}.json`;
const DISCOVERY_DUE = 'pipeline/_crawler/due.json';
const DISCOVERY_LAST = 'pipeline/_crawler/last.json';

/** The Glue crawler that discovers columns runs at most once in this long. */
export const DISCOVERY_WINDOW_MS = 3_600_000;
const mergedKey = (dataset: string, batchId: string) => `pipeline/${dataset}/merged/${batchId}.json`;

/** A JSON object of the store, or null when there is none. */
export async function readJson<T>(store: ObjectStore, key: string): Promise<T | null> {
  if (!(await store.head(key))) return null;
  const parts: Uint8Array[] = [];
  for await (const c of store.read(key)) parts.push(c);
  return JSON.parse(Buffer.concat(parts).toString('utf8')) as T;
}

/** `<dataset>/<batchId>`: how a plan names the batches it took. */
export type TakenBatch = `${string}/${string}`;

/**
 * The lake's record of which batches wait for a merge (`pipeline/<dataset>/pending/<batch>.json`) and which
 * were merged (`pipeline/<dataset>/merged/<batch>.json`), and the merge leases: one per merge group (datasets
 * that feed a common summary; else one dataset), so that no two runs write one table at once. Single-flight
 * works because a batch is recorded as pending BEFORE anyone tries the lease, and a merge run looks for pending
 * batches AFTER it released the lease: whoever loses the race for the lease, the batch is still seen. Every
 * method takes any dataset of a group and acts on the group.
 */
export class MergeQueue {
  constructor(
    private readonly lake: ObjectStore,
    private readonly lease: MergeLease,
    private readonly now: () => Date,
    readonly groups: MergeGroups = singleDatasetGroups,
  ) {}

  /** Records a batch as pending, unless a merge run already took it (a redelivered event, a replayed execution). */
  async enqueue(b: Omit<PendingBatch, 'queuedAt'>): Promise<'pending' | 'already-merged'> {
    if (await this.lake.head(mergedKey(b.dataset, b.batchId))) return 'already-merged';
    if (!(await this.lake.head(pendingKey(b.dataset, b.batchId)))) {
      await this.lake.put(
        pendingKey(b.dataset, b.batchId),
        JSON.stringify({ ...b, queuedAt: this.now().toISOString() }),
      );
    }
    return 'pending';
  }

  /** Pending again although merged before: `landfall replay`. */
  async requeue(b: Omit<PendingBatch, 'queuedAt'>): Promise<void> {
    await this.lake.delete(mergedKey(b.dataset, b.batchId));
    await this.enqueue(b);
  }

  /** The pending batches of the dataset's group, oldest first, at most `limit`. */
  async pending(dataset: string, limit = MERGE_BATCH_CAP): Promise<PendingBatch[]> {
    const keys: string[] = [];
    for (const d of this.groups(dataset).datasets) {
      for await (const o of this.lake.list(`pipeline/${d}/pending/`)) if (o.key.endsWith('.json')) keys.push(o.key);
    }
    const all = (await Promise.all(keys.map((k) => readJson<PendingBatch>(this.lake, k)))).filter(
      (b): b is PendingBatch => b !== null,
    );
    all.sort((a, b) => a.queuedAt.localeCompare(b.queuedAt) || a.batchId.localeCompare(b.batchId));
    return all.slice(0, limit);
  }

  async hasPending(dataset: string): Promise<boolean> {
    for (const d of this.groups(dataset).datasets) {
      for await (const o of this.lake.list(`pipeline/${d}/pending/`)) if (o.key.endsWith('.json')) return true;
    }
    return false;
  }

  /** Asks the group's next round to maintain its tables (the daily schedule), then its run takes it like a batch. */
  async requestMaintenance(dataset: string): Promise<void> {
    await this.lake.put(
      maintenanceKey(this.groups(dataset).name),
      JSON.stringify({ requestedAt: this.now().toISOString() }),
    );
  }

  async maintenanceDue(dataset: string): Promise<boolean> {
    return (await this.lake.head(maintenanceKey(this.groups(dataset).name))) !== null;
  }

  /** A file no contract claims landed: the next discovery crawl should look at quarantine/_unmatched/. */
  async requestDiscovery(): Promise<void> {
    await this.lake.put(DISCOVERY_DUE, JSON.stringify({ requestedAt: this.now().toISOString() }));
  }

  /**
   * Whether a round should start the discovery crawler: something new to discover (a drifted batch in the round,
   * or an unmatched file since the last crawl) and no crawl started within the window. Deciding yes records the
   * crawl, so other runs wait for the next window.
   */
  async takeDiscovery(drifted: boolean): Promise<boolean> {
    const due = drifted || (await this.lake.head(DISCOVERY_DUE)) !== null;
    if (!due) return false;
    const last = await readJson<{ startedAt: string }>(this.lake, DISCOVERY_LAST);
    if (last && this.now().getTime() - Date.parse(last.startedAt) < DISCOVERY_WINDOW_MS) return false;
    await this.lake.put(DISCOVERY_LAST, JSON.stringify({ startedAt: this.now().toISOString() }));
    await this.lake.delete(DISCOVERY_DUE);
    return true;
  }

  async isMerged(dataset: string, batchId: string): Promise<boolean> {
    return (await this.lake.head(mergedKey(dataset, batchId))) !== null;
  }

  /** Takes (or keeps) the lease of the dataset's group for `holder`. */
  async lead(dataset: string, holder: string): Promise<boolean> {
    return (await this.lease.acquire(this.groups(dataset).name, holder, LEASE_TTL_SECONDS)).acquired;
  }

  /** The batches a merge run takes now; refuses to plan for a holder that lost the lease (it lapsed). */
  async take(dataset: string, holder: string, limit = MERGE_BATCH_CAP): Promise<PendingBatch[]> {
    const group = this.groups(dataset).name;
    const held = await this.lease.acquire(group, holder, LEASE_TTL_SECONDS);
    if (!held.acquired) throw new LeaseLostError(group, holder, held.heldBy);
    return this.pending(dataset, limit);
  }

  /**
   * Marks a run's batches merged, gives the lease up, then looks again: batches queued meanwhile are taken by
   * this run's next round when it gets the lease back, or by the run that got it first.
   */
  async finish(dataset: string, holder: string, taken: TakenBatch[], maintained = false): Promise<{ more: boolean }> {
    if (maintained) await this.lake.delete(maintenanceKey(this.groups(dataset).name));
    for (const t of taken) {
      const [d, id] = t.split('/');
      await this.lake.put(
        mergedKey(d, id),
        JSON.stringify({ dataset: d, batchId: id, mergedBy: holder, mergedAt: this.now().toISOString() }),
      );
      await this.lake.delete(pendingKey(d, id));
    }
    await this.lease.release(this.groups(dataset).name, holder);
    if (!(await this.hasPending(dataset)) && !(await this.maintenanceDue(dataset))) return { more: false };
    return { more: await this.lead(dataset, holder) };
  }

  async release(dataset: string, holder: string): Promise<void> {
    await this.lease.release(this.groups(dataset).name, holder);
  }

  /**
   * After a batch was queued: starts a merge run for its dataset's group unless one is running, which will take
   * the batch. A lease left behind by an execution that ended (timed out, aborted) is taken over.
   */
  async kick(dataset: string, starter: PipelineStarter, name?: string): Promise<'merge-started' | 'merge-running'> {
    const group = this.groups(dataset).name;
    const run = name ?? mergeExecutionName(group, this.now());
    let got = await this.lease.acquire(group, run, LEASE_TTL_SECONDS);
    if (!got.acquired) {
      const heldBy = got.heldBy;
      if (await starter.isRunning(heldBy)) return 'merge-running';
      if (!(await this.lease.takeOver(group, heldBy, run, LEASE_TTL_SECONDS))) return 'merge-running';
      got = { acquired: true };
    }
    try {
      await starter.startMerge({ dataset: group, merge: true }, run);
    } catch (err) {
      await this.lease.release(group, run);
      throw err;
    }
    return 'merge-started';
  }
}

/** `<dataset>-merge-<UTC time>-<random>`: at most 80 characters of letters, digits, `-` and `_`, as Step Functions wants. */
export function mergeExecutionName(dataset: string, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const tail = `-merge-${stamp}-${Math.random().toString(36).slice(2, 8)}`;
  return `${dataset.slice(0, 80 - tail.length)}${tail}`;
}
