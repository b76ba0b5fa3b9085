/**
 * Execution names are derived from the batch, so Step Functions itself refuses a duplicate start; a later attempt
 * (after a failed, timed-out or aborted one) is suffixed `-r2`, `-r3`, ... Names are at most 80 characters.
 */
export function executionName(dataset: string, batchId: string, attempt = 1): string {
  const suffix = attempt > 1 ? `-r${attempt}` : '';
  return `${dataset.slice(0, 80 - batchId.length - 1 - suffix.length)}-${batchId}${suffix}`;
}
