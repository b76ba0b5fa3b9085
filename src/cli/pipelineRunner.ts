import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDbEngine } from '../adapters/local/DuckDbEngine.ts';
import type { IngestContext, IngestResult, StartedIngest } from '../convert/ingestObject.ts';
import { readManifest } from '../convert/manifest.ts';
import { formatAlarm, type Alarm } from '../pipeline/alarms.ts';
import { checkFreshness } from '../pipeline/freshness.ts';
import { PipelineFailedError } from '../pipeline/errors.ts';
import { runPipelineLocally } from '../pipeline/localPipeline.ts';
import type { LocalLake } from '../wiring/local.ts';

export interface PipelineReport {
  lines: string[];
  failed: boolean;
  /** The batch's published result (read from its manifest for a batch the state machine converted). */
  result?: IngestResult;
}

/**
 * After each ingest, what S3 -> Step Functions does on AWS: the pipeline state machine for the batch, run
 * locally on the lake's DuckDB warehouse. Metrics go to `<lake>/metrics.emf.log`, alarms to `<lake>/alarms.log`.
 */
export class LocalPipelineRunner {
  private constructor(private readonly lake: LocalLake, readonly engine: DuckDbEngine) {}

  static async open(lake: LocalLake): Promise<LocalPipelineRunner> {
    return new LocalPipelineRunner(lake, await DuckDbEngine.open(lake.root));
  }

  /** Runs the state machine for a converted batch, or for a handed-off one (converting it first: the ASL's Map). */
  async afterIngest(r: StartedIngest, ingest?: IngestContext): Promise<PipelineReport> {
    const handOff = 'convert' in r ? r : null;
    if (!handOff && (r as IngestResult).manifest.status === 'unmatched') return { lines: [], failed: false };
    const input = handOff ?? { dataset: (r as IngestResult).manifest.dataset, batchId: (r as IngestResult).manifest.batchId, manifestKey: (r as IngestResult).manifestKey };
    const emf: string[] = [];
    // A handed-off batch is published by the state machine: its result is read back from the manifest.
    const result = async (): Promise<IngestResult | undefined> => {
      if (!handOff) return r as IngestResult;
      const manifest = await readManifest(this.lake.lake, handOff.manifestKey);
      return manifest ? { manifest, manifestKey: handOff.manifestKey, alreadyIngested: false } : undefined;
    };
    try {
      const out = await runPipelineLocally(
        { lake: this.lake.lake, contracts: this.lake.contracts, engine: this.engine, now: () => new Date(), emit: (l) => emf.push(l), ingest },
        input,
      );
      const done = out.steps.filter((s) => /^(merge|summary|view):/.test(s)).map((s) => s.replace(/^[a-z]+:/, ''));
      const ran = done.length ? [`  pipeline:   ${done.join(', ')}`] : [];
      return { lines: [...ran, ...(await this.record(out.alarms, emf))], failed: false, result: await result() };
    } catch (err) {
      if (!(err instanceof PipelineFailedError)) throw err;
      return {
        lines: [
          `  PIPELINE FAILED (${err.error}): ${err.causeText}`,
          '  nothing merged by this step is lost; fix the cause and run the same file again (ingest is skipped, the pipeline re-runs)',
          ...(await this.record(err.alarms as Alarm[], emf)),
        ],
        failed: true,
        result: await result(),
      };
    }
  }

  /** The dataset-not-refreshed alarm, evaluated over every manifest in the lake (the freshness function's check). */
  async freshness(now = new Date()): Promise<string[]> {
    return this.record(await checkFreshness(this.lake.lake, this.lake.contracts, now), []);
  }

  private async record(alarms: Alarm[], emf: string[]): Promise<string[]> {
    if (emf.length) await appendFile(join(this.lake.root, 'metrics.emf.log'), emf.map((l) => `${l}\n`).join(''));
    const lines = alarms.map(formatAlarm);
    if (lines.length) await appendFile(join(this.lake.root, 'alarms.log'), lines.map((l) => `${new Date().toISOString()} ${l}\n`).join(''));
    return lines.map((l) => `  ${l}`);
  }

  close(): void {
    this.engine.close();
  }
}
