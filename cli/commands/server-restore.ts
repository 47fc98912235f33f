import type { PlatformEnv } from '../../core/config.js';
import { ConfigError } from '../../core/errors.js';
import { createPool } from '../../db/pool.js';
import { serverUp } from '../../platform/control.js';
import { restoreBackup } from '../../platform/backup/restore-backup.js';
import { detail, info, out, printJson, step, table, warn } from '../output.js';

const TABLES = ['users', 'projects', 'releases', 'model_versions', 'volumes', 'tasks'] as const;

/** What the restored database holds, next to what the backup's manifest counted. */
async function restoredCounts(
  env: PlatformEnv,
): Promise<{ counts: Record<string, number>; withServices: string[] }> {
  const db = createPool(env, 1);
  try {
    const counts: Record<string, number> = {};
    for (const t of TABLES)
      counts[t] = Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${t}`)).rows[0]?.n ?? 0);
    const running = await db.query<{ name: string }>(
      `SELECT DISTINCT p.name FROM services s JOIN projects p ON p.id = s.project_id WHERE s.desired = 'running' ORDER BY p.name`,
    );
    return { counts, withServices: running.rows.map((r) => r.name) };
  } finally {
    await db.end();
  }
}

/** `roro server restore FILE [--force] [--no-start]`: brings a backup back into RORO_HOME and starts the platform. */
export async function serverRestore(
  env: PlatformEnv,
  file: string | undefined,
  opts: { force?: boolean; start?: boolean; json?: boolean },
): Promise<void> {
  if (!file)
    throw new ConfigError(
      'roro server restore needs the FILE of a backup.',
      'Run `roro server restore /path/to/roro-backup.tar.gz`.',
    );
  step(`Restoring ${file} into ${env.home}`);
  const { manifest, replaced } = await restoreBackup(env, file, opts, detail, warn);
  for (const r of replaced) warn(`replaced ${r}`);
  detail(`backup of roro ${manifest.roroVersion} taken ${manifest.createdAt}`);
  if (opts.start === false) {
    info('Restored the files. The database is loaded at the next start: run `roro server up`.');
    return;
  }
  step('Starting the platform (the database is loaded first)');
  await serverUp(env, (line) => detail(line));
  const { counts, withServices } = await restoredCounts(env);
  if (opts.json)
    return printJson({
      restored: counts,
      backup: manifest.counts,
      withServices,
      createdAt: manifest.createdAt,
    });
  table(
    ['WHAT', 'IN BACKUP', 'RESTORED'],
    TABLES.map((t) => [t.replace('_', ' '), manifest.counts[t] ?? '-', counts[t]]),
  );
  const files = manifest.sections.find((s) => s.name === 'volumes')?.files ?? 0;
  out(`Restored ${files} volume files and the platform secrets and TLS CA.`);
  if (withServices.length)
    out(
      `Projects with running services: ${withServices.join(', ')}. Services whose containers are missing roll out again from their release, rebuilding missing images from its kept code; follow with \`roro ps --project NAME\`.`,
    );
}
