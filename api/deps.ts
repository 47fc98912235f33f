import type { Pool } from 'pg';
import type { Client } from '@temporalio/client';
import type { PlatformEnv } from '../core/config.js';

/** What the API is built from (createApp in app.ts); tests pass their own. */
export interface AppDeps {
  env: PlatformEnv;
  db: Pool;
  temporal?: Client;
  log: (line: string) => void;
}
