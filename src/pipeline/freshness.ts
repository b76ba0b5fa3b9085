import type { Contract } from '../contracts/contract.ts';
import { readManifest, type Manifest } from '../ingest/manifest.ts';
import { manifestPrefix, UNMATCHED } from '../lake/layout.ts';
import type { ObjectStore } from '../ports.ts';
import { staleDatasets, type Alarm } from './alarms.ts';

/** Reads every manifest of the lake and reports the datasets not refreshed within their expected interval. */
export async function checkFreshness(lake: ObjectStore, contracts: Contract[], now: Date): Promise<Alarm[]> {
  const manifests: Manifest[] = [];
  for await (const o of lake.list(manifestPrefix())) {
    if (!o.key.endsWith('.json') || o.key.startsWith(manifestPrefix(UNMATCHED))) continue;
    const m = await readManifest(lake, o.key);
    if (m) manifests.push(m);
  }
  return staleDatasets(contracts, manifests, now);
}
