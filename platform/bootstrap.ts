import fs from 'node:fs';
import path from 'node:path';
import { homePaths, type PlatformEnv } from '../core/config.js';
import { ensureAdmin } from '../api/accounts.js';
import { createPool } from '../db/pool.js';
import { migrate } from '../db/migrate.js';

export function adminPasswordFile(home: string): string {
  return path.join(homePaths(home).secrets, 'admin-password');
}

/** Applies migrations and creates the first admin; a generated password goes to a 0600 file. */
export async function bootstrapDatabase(
  env: PlatformEnv,
  log: (line: string) => void,
): Promise<{ email: string; created: boolean; passwordFile?: string }> {
  const db = createPool(env, 2);
  try {
    await migrate(db, log);
    const email = (process.env.RORO_ADMIN_EMAIL || 'admin@roro.local').toLowerCase();
    const res = await ensureAdmin(db, email, process.env.RORO_ADMIN_PASSWORD || undefined);
    if (!res.generatedPassword) return { email, created: res.created };
    const file = adminPasswordFile(env.home);
    fs.writeFileSync(file, `${res.generatedPassword}\n`, { mode: 0o600 });
    log(`created admin ${email}; generated password kept in ${file}`);
    return { email, created: true, passwordFile: file };
  } finally {
    await db.end();
  }
}
