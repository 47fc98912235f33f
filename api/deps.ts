import type { Pool } from 'pg';
import type { Client } from '@temporalio/client';
import type { PlatformEnv } from '../core/config.js';
import type { RequestLine } from './request-log.js';

/** What the API is built from (createApp in app.ts); tests pass their own. */
export interface AppDeps {
  env: PlatformEnv;
  db: Pool;
  temporal?: Client;
  /** Where the error handler reports what went wrong (internal errors, components out of reach). */
  log: (line: string) => void;
  /** Receives one line per request (api/request-log.ts); tests that build the app in-process omit it. */
  requestLog?: (line: RequestLine) => void;
}
