import type { Contract } from '../contracts/contract.ts';
import type { Manifest } from '../ingest/manifest.ts';
import type { MetricDatum } from '../ports.ts';

/** An alarm in ALARM state, as the SNS topic would be told. */
export interface Alarm {
  name: 'pipeline-failed' | 'reject-ratio' | 'stale-dataset' | 'ingest-errors' | 'schema-drift';
  dataset: string;
  detail: string;
}

export function formatAlarm(a: Alarm): string {
  return `ALARM ${a.name} ${a.dataset} ${a.detail}`;
}

/** What the alarms of a round say of one batch it took (planMerge's BatchOutcome). */
export interface BatchAlarmFacts {
  dataset: string;
  rejectRatio: number;
  maxRejectRatio: number;
  thresholdExceeded: boolean;
  /** How the file's header drifted, in one line. */
  drift?: string;
}

/**
 * The alarms template.yaml defines on the pipeline's metrics, evaluated on one execution's metric data. A merge
 * run is named after its group (`dataset`: pipeline-failed says it); reject-ratio and schema-drift name the
 * dataset whose batch raised them (an olist_sellers batch over its threshold is olist_sellers', not its group's).
 */
export function metricAlarms(
  data: MetricDatum[],
  context: { dataset: string; cause?: string; batches?: BatchAlarmFacts[] },
): Alarm[] {
  const alarms: Alarm[] = [];
  const sum = (name: string) =>
    data.filter((d) => d.MetricName === name && !d.Dimensions?.length).reduce((n, d) => n + d.Value, 0);
  const batches = context.batches ?? [];
  if (sum('PipelineFailed') >= 1)
    alarms.push({ name: 'pipeline-failed', dataset: context.dataset, detail: context.cause ?? '' });
  if (sum('RejectThresholdExceeded') >= 1) {
    const pct = (x = 0) => `${(x * 100).toFixed(x * 100 < 10 ? 2 : 1)}%`;
    const over = batches.filter((b) => b.thresholdExceeded);
    for (const ds of [...new Set(over.map((b) => b.dataset))].sort()) {
      const worst = over.filter((b) => b.dataset === ds).sort((a, b) => b.rejectRatio - a.rejectRatio)[0];
      alarms.push({
        name: 'reject-ratio',
        dataset: ds,
        detail: `${pct(worst.rejectRatio)} > ${pct(worst.maxRejectRatio)}`,
      });
    }
  }
  if (sum('SchemaDrift') >= 1) {
    const drifted = batches.filter((b) => b.drift);
    for (const ds of [...new Set(drifted.map((b) => b.dataset))].sort())
      alarms.push({
        name: 'schema-drift',
        dataset: ds,
        detail: drifted
          .filter((b) => b.dataset === ds)
          .map((b) => b.drift)
          .join('; '),
      });
  }
  return alarms;
}

/** One line saying how a file's header drifted and what was done. */
export function describeDrift(d: NonNullable<Manifest['drift']>): string {
  const parts = [
    d.missing.length ? `missing ${d.missing.join(', ')}` : '',
    d.extra.length
      ? `extra ${d.extra.map((e) => (d.policy === 'evolve' && e.column !== e.header ? `${e.header} (kept as ${e.column})` : e.header)).join(', ')}`
      : '',
    d.renamed.length ? `renamed ${d.renamed.map((r) => `${r.header} -> ${r.column}`).join(', ')}` : '',
  ].filter(Boolean);
  const done = d.missing.length || d.extra.length ? (d.policy === 'evolve' ? 'evolved' : 'file rejected') : 'accepted';
  return `${parts.join('; ')} (${d.policy}: ${done})`;
}

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

export function durationMs(text: string): number {
  const m = /^(\d+)(m|h|d)$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * UNIT_MS[m[2]];
}

/**
 * Datasets whose last published batch is older than the contract's `refresh.expectedEvery`. Datasets that
 * never received a batch are not reported (nothing is expected of them yet).
 */
export function staleDatasets(contracts: Contract[], manifests: Manifest[], now: Date): Alarm[] {
  const latest = new Map<string, number>();
  for (const m of manifests) {
    if (m.status !== 'published') continue;
    latest.set(m.dataset, Math.max(latest.get(m.dataset) ?? 0, Date.parse(m.finishedAt)));
  }
  return contracts.flatMap((c) => {
    const last = latest.get(c.dataset);
    if (!c.refresh || last === undefined) return [];
    const age = now.getTime() - last;
    if (age <= durationMs(c.refresh.expectedEvery)) return [];
    const hours = age / 3_600_000;
    const ago = hours >= 48 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours)}h`;
    return [
      {
        name: 'stale-dataset' as const,
        dataset: c.dataset,
        detail: `last refreshed ${ago} ago > ${c.refresh.expectedEvery}`,
      },
    ];
  });
}
