import type { PlatformEnv } from '../../core/config.js';
import { ConfigError } from '../../core/errors.js';
import { createBackup } from '../../platform/backup/create-backup.js';
import { detail, out, printJson, step, table, warn } from '../output.js';
import { formatBytes } from '../progress.js';

/** `roro server backup FILE`: one archive of the running platform. */
export async function serverBackup(
  env: PlatformEnv,
  file: string | undefined,
  opts: { force?: boolean; json?: boolean },
): Promise<void> {
  if (!file)
    throw new ConfigError(
      'roro server backup needs a FILE to write.',
      'Run `roro server backup /path/to/roro-backup.tar.gz`.',
    );
  step(`Backing up the platform in ${env.home}`);
  const result = await createBackup(env, file, opts, detail, warn);
  const { manifest } = result;
  if (opts.json) {
    const { entries: _entries, ...summary } = manifest;
    return printJson({ file: result.file, bytes: result.bytes, ...summary });
  }
  table(
    ['PART', 'FILES', 'SIZE'],
    manifest.sections.map((s) => [s.name, s.files, formatBytes(s.bytes)]),
  );
  const c = manifest.counts;
  out(
    `Wrote ${result.file} (${formatBytes(result.bytes)}, mode 0600): ${c.users} users, ${c.projects} projects, ${c.releases} releases, ${c.model_versions} model versions.`,
  );
  out(
    'It holds the platform secrets: keep it as safe as RORO_HOME itself. Restore with `roro server restore FILE`.',
  );
}
