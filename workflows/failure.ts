/**
 * What went wrong, in the words meant for the user. An activity's failure reaches the workflow as an
 * ActivityFailure wrapping the ApplicationFailure the activity threw, which carries the message and,
 * for a failed build or start, the container's last log lines (`details[0].logs`).
 */
export function activityFailure(err: unknown): { message: string; logs: string[] } {
  let e = err as { message?: string; cause?: unknown; name?: string; details?: unknown[] } | undefined;
  while (e?.cause && e.name === 'ActivityFailure') e = e.cause as typeof e;
  const details = (e?.details?.[0] ?? {}) as { logs?: string[] };
  return { message: e?.message ?? String(err), logs: details.logs ?? [] };
}
