import proto from '@temporalio/proto';
import type { PlatformEnv } from '../core/config.js';
import { SEARCH_ATTRIBUTES } from './search-attributes.js';
import { connectTemporal } from './connection.js';

// @temporalio/proto is CommonJS: its namespaces come from the default export under ESM.
const KEYWORD = proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;

/**
 * Registers roro's search attributes on the namespace when they are missing. The embedded dev server
 * gets them as start flags; an external cluster (TEMPORAL_ADDRESS) gets them here, so the Web UI can
 * filter workflows by project there too. Returns the names it added.
 */
export async function ensureSearchAttributes(env: PlatformEnv): Promise<string[]> {
  const { connection } = await connectTemporal(env);
  try {
    const existing = await connection.operatorService.listSearchAttributes({
      namespace: env.temporalNamespace,
    });
    const known = new Set([
      ...Object.keys(existing.customAttributes ?? {}),
      ...Object.keys(existing.systemAttributes ?? {}),
    ]);
    const missing = Object.keys(SEARCH_ATTRIBUTES).filter((name) => !known.has(name));
    if (missing.length > 0) {
      await connection.operatorService.addSearchAttributes({
        namespace: env.temporalNamespace,
        searchAttributes: Object.fromEntries(missing.map((name) => [name, KEYWORD])),
      });
    }
    return missing;
  } finally {
    await connection.close();
  }
}
