import type { Contract } from '../contracts/contract.ts';
import { listManifests, type Manifest } from '../ingest/manifest.ts';
import type { ObjectStore } from '../ports.ts';
import { staleDatasets, type Alarm } from './alarms.ts';

/** Reads every manifest of the lake and reports the datasets not refreshed within their expected interval. */
export async function checkFreshness(lake: ObjectStore, contracts: Contract[], now: Date): Promise<Alarm[]> {
  const manifests: Manifest[] = [];
  for (const c of contracts) for await (const { manifest } of listManifests(lake, c.dataset)) manifests.push(manifest);
  return staleDatasets(contracts, manifests, now);
}
