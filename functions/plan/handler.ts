import { handlePipelineTask, type PipelineTask } from '#src/pipeline/pipelineTask.ts';
import { catalogConfigFromEnv, planContextFromConfig } from '#src/wiring/aws.ts';

const ctx = await planContextFromConfig(catalogConfigFromEnv(process.env));

/** The state machine's plan tasks: queue a batch, plan a merge round of a dataset's pending batches, finish it, release the lease. */
export const handler = (task: PipelineTask) => handlePipelineTask(ctx, task);
