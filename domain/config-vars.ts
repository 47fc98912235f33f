import type { Pool } from 'pg';
import { ValidationError } from '../core/errors.js';
import { masterKey, open, seal } from './secrets-box.js';
import { withTransaction } from '../db/transaction.js';

const CONFIG_NAME_RULE =
  'must be upper-case letters, digits and underscores, not starting with a digit ([A-Z_][A-Z0-9_]*)';
const NAME_RE = /^[A-Z_][A-Z0-9_]*$/;
const MAX_VALUE_BYTES = 32 * 1024;
const MAX_VARS = 200;

/** Names the platform sets itself; a config var must not shadow them. */
export function isReserved(name: string): boolean {
  return name === 'PORT' || name.startsWith('RORO_');
}

/** Throws a ValidationError naming the variable and the rule it breaks. */
export function checkConfigName(name: unknown): string {
  if (typeof name !== 'string' || name.length > 128 || !NAME_RE.test(name)) {
    throw new ValidationError(
      `Invalid config var name ${JSON.stringify(name)}: a name ${CONFIG_NAME_RULE}.`,
      {
        code: 'invalid_config_name',
        hint: 'Use a name such as DATABASE_URL.',
      },
    );
  }
  if (isReserved(name)) {
    throw new ValidationError(`${name} is reserved: the platform sets PORT and RORO_* in every container.`, {
      code: 'reserved_config_name',
      hint: 'Choose another name.',
    });
  }
  return name;
}

/** Checks a value without ever quoting it: error messages may end up in logs. */
export function checkConfigValue(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new ValidationError(`The value of ${name} must be a string.`);
  if (value.includes('\0'))
    throw new ValidationError(
      `The value of ${name} contains a NUL byte, which an environment variable cannot hold.`,
    );
  if (Buffer.byteLength(value) > MAX_VALUE_BYTES) {
    throw new ValidationError(`The value of ${name} is longer than ${MAX_VALUE_BYTES / 1024} KiB.`, {
      hint: 'Put large data in a file on a volume (roro cp) and its path in the config var.',
    });
  }
  return value;
}

/** `K=V` → [K, V]; the value may itself contain `=`. */
export function parseAssignment(arg: string): [string, string] {
  const i = arg.indexOf('=');
  if (i <= 0) {
    throw new ValidationError(`${JSON.stringify(arg.slice(0, 40))} is not NAME=VALUE.`, {
      hint: 'Run roro config:set NAME=VALUE.',
    });
  }
  const name = arg.slice(0, i);
  return [checkConfigName(name), checkConfigValue(name, arg.slice(i + 1))];
}

const aad = (projectId: string, name: string) => `roro-config:${projectId}:${name}`;

export interface ConfigVar {
  name: string;
  value?: string;
  updatedAt: string;
}

export async function listConfig(
  db: Pool,
  home: string,
  projectId: string,
  withValues: boolean,
): Promise<ConfigVar[]> {
  const res = await db.query<{ name: string; value_enc: string; updated_at: Date }>(
    'SELECT name, value_enc, updated_at FROM config_vars WHERE project_id = $1 ORDER BY name',
    [projectId],
  );
  const key = withValues ? masterKey(home) : undefined;
  return res.rows.map((r) => ({
    name: r.name,
    ...(key ? { value: open(key, r.value_enc, aad(projectId, r.name)) } : {}),
    updatedAt: r.updated_at.toISOString(),
  }));
}

/** Sets and unsets in one transaction; returns the names whose stored value really changed. */
export async function changeConfig(
  db: Pool,
  home: string,
  projectId: string,
  userId: string,
  change: { set: Record<string, string>; unset: string[] },
): Promise<{ changed: string[] }> {
  const key = masterKey(home);
  const current = new Map((await listConfig(db, home, projectId, true)).map((v) => [v.name, v.value]));
  const changed: string[] = [];
  await withTransaction(db, async (client) => {
    for (const [name, value] of Object.entries(change.set)) {
      if (current.get(name) === value) continue;
      await client.query(
        `INSERT INTO config_vars (project_id, name, value_enc, updated_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (project_id, name) DO UPDATE SET value_enc = $3, updated_by = $4, updated_at = now()`,
        [projectId, name, seal(key, value, aad(projectId, name)), userId],
      );
      changed.push(name);
    }
    for (const name of change.unset) {
      const del = await client.query('DELETE FROM config_vars WHERE project_id = $1 AND name = $2', [
        projectId,
        name,
      ]);
      if (del.rowCount) changed.push(name);
    }
    const count = await client.query<{ n: string }>(
      'SELECT count(*) AS n FROM config_vars WHERE project_id = $1',
      [projectId],
    );
    if (Number(count.rows[0]?.n) > MAX_VARS) {
      throw new ValidationError(`A project may have at most ${MAX_VARS} config vars.`, {
        hint: 'Unset some with roro config:unset.',
      });
    }
  });
  return { changed };
}

/**
 * The decrypted config vars of a project, for a container's environment. Called by the activity that
 * starts the container, so values never pass through workflow inputs or outputs.
 */
export async function loadConfigEnv(
  db: Pool,
  home: string,
  projectId: string,
): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const v of await listConfig(db, home, projectId, true)) {
    if (!isReserved(v.name) && v.value !== undefined) env[v.name] = v.value;
  }
  return env;
}
