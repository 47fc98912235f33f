import { Client, Connection } from '@temporalio/client';
import type { PlatformEnv } from '../core/config.js';

/** Opens a client to the platform's Temporal frontend (embedded dev server or TEMPORAL_ADDRESS). */
export async function connectTemporal(env: PlatformEnv, opts: { connectTimeoutMs?: number } = {}) {
  const connection = await Connection.connect({
    address: env.temporalAddress,
    connectTimeout: opts.connectTimeoutMs ?? 10_000,
  });
  const client = new Client({ connection, namespace: env.temporalNamespace });
  return { connection, client };
}
