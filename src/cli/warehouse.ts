import { join } from 'node:path';
import { DuckDbEngine } from '../adapters/local/DuckDbEngine.ts';
import type { LocalLake } from '../wiring/local.ts';

/** What a command says when another landfall process holds the warehouse. */
export function waitingFor(root: string): (holder: string) => void {
  return (holder) =>
    process.stderr.write(
      `waiting for the warehouse ${join(root, 'warehouse.duckdb')}: ${holder} holds it (another landfall command); this one goes on when it lets go\n`,
    );
}

/** The lake's warehouse for a command: within the lake's memory limit, saying so when another command holds it. */
export function openWarehouse(lake: LocalLake): Promise<DuckDbEngine> {
  return DuckDbEngine.open(lake.root, { onWait: waitingFor(lake.root), memoryMb: lake.warehouseMemoryMb });
}
