import type { Pool, PoolClient } from 'pg';

export type DeployEventKind = 'phase' | 'phase_done' | 'log' | 'info' | 'warn' | 'done' | 'failed';

/** Appends one progress event that `roro deploy` streams; events outlive the workflow run. */
export async function emitEvent(
  db: Pool | PoolClient,
  deployId: string,
  kind: DeployEventKind,
  message: string,
  data?: unknown,
): Promise<void> {
  await db.query('INSERT INTO deploy_events (deploy_id, kind, message, data) VALUES ($1, $2, $3, $4)', [
    deployId,
    kind,
    message,
    data === undefined ? null : JSON.stringify(data),
  ]);
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
