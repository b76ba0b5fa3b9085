import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { cachedContracts } from '../contracts/contractCache.ts';
import type { Contract } from '../contracts/contract.ts';
import { oversizedContracts } from '../pipeline/statementLimits.ts';
import { FolderStore } from '../adapters/local/FolderStore.ts';
import { resolveSettings, type IngestContext, type IngestSettings } from '../ingest/context.ts';

/** The built-in contracts shipped with Landfall. */
export const BUILTIN_CONTRACTS = fileURLToPath(new URL('../../contracts', import.meta.url));

export interface LocalLake {
  root: string;
  landing: FolderStore;
  lake: FolderStore;
  contracts: Contract[];
  settings: IngestSettings;
  /** DuckDB's memory limit for the warehouse (MB); beyond it, it spills to `.duckdb/tmp/` in the lake folder. */
  warehouseMemoryMb: number;
}

/** The warehouse's default memory limit: with conversion's ~0.5 GB, `landfall run` stays under 1 GB. */
export const DEFAULT_WAREHOUSE_MB = 512;

/** Composition root for the laptop: two folders play the landing and lake buckets. */
export async function openLocalLake(options: {
  root: string;
  contractsDir?: string;
  settings?: Partial<IngestSettings>;
  warehouseMemoryMb?: number;
}): Promise<LocalLake> {
  const root = resolve(options.root);
  const contracts = await cachedContracts(
    options.contractsDir ?? BUILTIN_CONTRACTS,
    join(root, '.cache', 'contracts.compiled.json'),
  );
  const oversized = oversizedContracts(contracts);
  if (oversized.length) throw new Error(`contracts Athena could not run:\n  ${oversized.join('\n  ')}`);
  return {
    warehouseMemoryMb: options.warehouseMemoryMb ?? DEFAULT_WAREHOUSE_MB,
    root,
    landing: new FolderStore(join(root, 'landing'), 'landing'),
    lake: new FolderStore(join(root, 'lake'), 'lake'),
    contracts,
    settings: resolveSettings(options.settings),
  };
}

export function ingestContext(l: LocalLake, onProgress?: IngestContext['onProgress']): IngestContext {
  return {
    landing: l.landing,
    lake: l.lake,
    contracts: l.contracts,
    settings: l.settings,
    now: () => new Date(),
    onProgress,
  };
}
