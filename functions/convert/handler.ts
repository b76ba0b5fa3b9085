import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { handleConvertTask, type ConvertTask, type ConvertTaskResult } from '#src/ingest/convertTask.ts';
import { ingestConfigFromEnv, ingestContextFromConfig } from '#src/wiring/aws.ts';

const logger = new Logger({ serviceName: 'landfall-convert' });
const ctx = await ingestContextFromConfig(ingestConfigFromEnv(process.env, 'ConvertFunction'));

/**
 * The state machine's convert steps for batches the ingest function handed off: `segment` converts one
 * segment until it is done or this invocation's time runs out (the state machine loops it), `publish` moves
 * the staged files into place and writes the manifest.
 */
export async function handler(task: ConvertTask, context?: Context): Promise<ConvertTaskResult> {
  const out = await handleConvertTask(ctx, task, context?.getRemainingTimeInMillis?.());
  logger.info(`convert ${task.action}`, { ...task, ...out });
  return out;
}
