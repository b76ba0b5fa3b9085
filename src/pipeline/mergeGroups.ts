import type { Contract } from '../contracts/contract.ts';

/** Datasets merged by one run at a time: those that feed a common summary (else each dataset on its own). */
export interface MergeGroup {
  /** The group's first dataset in alphabetical order: its lease and its merge runs' names. */
  name: string;
  datasets: string[];
}

export type MergeGroups = (dataset: string) => MergeGroup;

/** Every dataset on its own. */
export const singleDatasetGroups: MergeGroups = (dataset) => ({ name: dataset, datasets: [dataset] });

/**
 * Groups the contracts' datasets by the summaries they feed (connected components of "feeds the same summary"):
 * two datasets that feed one summary would otherwise both MERGE into it at the same time, and concurrent commits
 * to one Iceberg table conflict. One run per group merges each dataset once and recomputes each summary once.
 */
export function mergeGroups(contracts: Contract[]): MergeGroups {
  const parent = new Map<string, string>();
  const find = (d: string): string => {
    let root = d;
    while (parent.has(root) && parent.get(root) !== root) root = parent.get(root)!;
    parent.set(d, root);
    return root;
  };
  const union = (a: string, b: string) => {
    const [ra, rb] = [find(a), find(b)];
    // biome-ignore lint/complexity/useMathMinMax: dataset names (strings), the smaller one becomes the root
    if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  };
  for (const c of contracts) find(c.dataset);
  for (const s of contracts.flatMap((c) => c.summaries)) {
    const sources = Object.keys(s.affected);
    for (const d of sources) union(sources[0], d);
  }
  const members = new Map<string, string[]>();
  for (const d of parent.keys()) members.set(find(d), [...(members.get(find(d)) ?? []), d]);
  return (dataset) => {
    if (!parent.has(dataset)) return singleDatasetGroups(dataset);
    const root = find(dataset);
    const datasets = [...members.get(root)!].sort();
    return { name: datasets[0], datasets };
  };
}
