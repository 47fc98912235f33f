import os from 'node:os';
import type { Pool } from 'pg';
import type Docker from 'dockerode';
import type { PlatformEnv } from '../core/config.js';

export interface ActivityDeps {
  env: PlatformEnv;
  db: Pool;
  docker: Docker;
}

/** Builds every activity from injected clients, so tests can pass their own. */
export function createActivities(deps: ActivityDeps) {
  return {
    async ping(nonce: string): Promise<string> {
      await deps.db.query('SELECT 1');
      return `pong:${nonce}:${os.hostname()}`;
    },
  };
}

export type PlatformActivities = ReturnType<typeof createActivities>;
