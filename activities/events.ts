import type { Pool, PoolClient } from 'pg';
import { Context } from '@temporalio/activity';
import { insertDeployEvent, type DeployEventKind } from '../domain/deploy-events.js';

export type { DeployEventKind };

/**
 * The key of the `n`th event an activity writes: the same on every attempt of that activity, so a
 * retry after a crash (the event was written, the completion was lost) writes nothing new.
 * Undefined outside an activity.
 */
export function activityEventKey(n = 0): string | undefined {
  let info;
  try {
    info = Context.current().info;
  } catch {
    return undefined;
  }
  return `${info.workflowExecution?.runId ?? ''}/${info.activityId}/${n}`;
}

/** A deploy event written by an activity: keyed by default with the calling activity's first key. */
export async function emitEvent(
  db: Pool | PoolClient,
  deployId: string,
  kind: DeployEventKind,
  message: string,
  data?: unknown,
  key: string | undefined = activityEventKey(),
): Promise<void> {
  await insertDeployEvent(db, deployId, kind, message, data, key);
}

/** Batches build output so a chatty pip install does not cost one round trip per line. */
export function logBuffer(db: Pool, deployId: string) {
  let pending: string[] = [];
  let flushing: Promise<void> = Promise.resolve();
  const flush = () => {
    const lines = pending;
    pending = [];
    if (lines.length === 0) return flushing;
    flushing = flushing.then(async () => {
      const values = lines.map((_, i) => `($1, 'log', $${i + 2})`).join(', ');
      await db.query(`INSERT INTO deploy_events (deploy_id, kind, message) VALUES ${values}`, [
        deployId,
        ...lines,
      ]);
    });
    return flushing;
  };
  const timer = setInterval(() => void flush().catch(() => {}), 250);
  return {
    push(line: string) {
      pending.push(line.slice(0, 4000));
      if (pending.length >= 200) void flush().catch(() => {});
    },
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
