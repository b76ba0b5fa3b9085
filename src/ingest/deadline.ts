/** Time kept back from an invocation's budget to close the files in flight and write the run's record. */
export const TIME_RESERVE_MS = 90_000;

/** The deadline for converting in an invocation with `remaining` ms left: the reserve, but at most half of it. */
export function deadlineFor(remaining: number, now = Date.now()): number {
  return now + Math.max(remaining - TIME_RESERVE_MS, remaining / 2);
}
