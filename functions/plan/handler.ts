import type { PipelinePlan } from '#src/pipeline/planBatch.ts';
import { planFromManifest } from '#src/pipeline/planFromManifest.ts';
import { catalogConfigFromEnv, planContextFromConfig } from '#src/wiring/aws.ts';

const ctx = await planContextFromConfig(catalogConfigFromEnv(process.env));

/** PlanBatch task of the pipeline state machine: the manifest in, the SQL to run and the metrics out. */
export const handler = (input: { dataset: string; batchId: string; manifestKey: string }): Promise<PipelinePlan> => planFromManifest(ctx, input);
