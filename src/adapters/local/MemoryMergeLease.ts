import type { MergeLease } from '../../ports.ts';

/**
 * The merge lease of a local run: one process runs the local pipeline, so the lease lives as long as the process
 * does (a crashed run holds nothing). Expiry is kept anyway, so that tests can let a lease lapse.
 */
export class MemoryMergeLease implements MergeLease {
  private readonly held = new Map<string, { holder: string; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async acquire(
    dataset: string,
    holder: string,
    ttlSeconds: number,
  ): Promise<{ acquired: true } | { acquired: false; heldBy: string }> {
    const cur = this.held.get(dataset);
    if (cur && cur.holder !== holder && cur.expiresAt > this.now()) return { acquired: false, heldBy: cur.holder };
    this.held.set(dataset, { holder, expiresAt: this.now() + ttlSeconds * 1000 });
    return { acquired: true };
  }

  async takeOver(dataset: string, from: string, holder: string, ttlSeconds: number): Promise<boolean> {
    if (this.held.get(dataset)?.holder !== from) return false;
    this.held.set(dataset, { holder, expiresAt: this.now() + ttlSeconds * 1000 });
    return true;
  }

  async release(dataset: string, holder: string): Promise<void> {
    if (this.held.get(dataset)?.holder === holder) this.held.delete(dataset);
  }
}
