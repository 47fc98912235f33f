import fs from 'node:fs/promises';
import path from 'node:path';
import type { Pool, PoolClient } from 'pg';
import { homePaths } from '../core/config.js';
import { defaultQuotas, QUOTA_KEYS, type QuotaName, type Quotas } from '../core/quotas.js';

/** The project's quotas: an admin's settings over the platform defaults. */
export async function projectQuotas(db: Pool | PoolClient, projectId: string): Promise<Quotas> {
  const quotas = defaultQuotas();
  const res = await db.query<Record<string, string | number | null>>(
    'SELECT running_jobs, services, replicas, volume_bytes FROM project_quotas WHERE project_id = $1',
    [projectId],
  );
  const row = res.rows[0];
  if (row) {
    for (const [name, spec] of Object.entries(QUOTA_KEYS) as [QuotaName, { key: string }][]) {
      const v = row[spec.key];
      if (v !== null && v !== undefined) quotas[name] = Number(v);
    }
  }
  return quotas;
}

/** Sets (a number) or resets to the default (null) some of a project's quotas. */
export async function setProjectQuotas(
  db: Pool,
  projectId: string,
  settings: Partial<Record<QuotaName, number | null>>,
): Promise<Quotas> {
  const names = Object.keys(settings) as QuotaName[];
  if (names.length) {
    const cols = names.map((n) => QUOTA_KEYS[n].key);
    const values = names.map((n) => settings[n]);
    await db.query(
      `INSERT INTO project_quotas (project_id, ${cols.join(', ')}) VALUES ($1, ${cols.map((_, i) => `$${i + 2}`).join(', ')})
       ON CONFLICT (project_id) DO UPDATE SET ${cols.map((c, i) => `${c} = $${i + 2}`).join(', ')}, updated_at = now()`,
      [projectId, ...values],
    );
  }
  return projectQuotas(db, projectId);
}

/** Bytes in all of a project's volumes (files and links as they take up space, directories not). */
export async function volumeUsage(home: string, projectId: string): Promise<number> {
  let total = 0;
  const walk = async (dir: string): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else {
        const st = await fs.lstat(full).catch(() => undefined);
        if (st) total += st.size;
      }
    }
  };
  await walk(path.join(homePaths(home).volumes, projectId));
  return total;
}
