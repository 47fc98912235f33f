import fs from 'node:fs';
import path from 'node:path';
import { homePaths, parsePlatformEnv, type PlatformEnv } from '../../core/config.js';
import { ConfigError, ConflictError } from '../../core/errors.js';
import { serverDown, serverUp, supervisorRunning } from '../../platform/control.js';
import { platformStatus } from '../../platform/status.js';
import { trustCommand } from '../../gateway/tls.js';
import { detail, info, out, printJson, step, table, warn } from '../output.js';
import { serverBackup } from './server-backup.js';
import { serverRestore } from './server-restore.js';
import { serverLogs } from './server-logs.js';
import { serverDisable, serverEnable } from './server-boot.js';
import { serverTrust } from './server-trust.js';

async function up(env: PlatformEnv, opts: { json?: boolean; cluster?: boolean }) {
  if (opts.cluster) {
    if (supervisorRunning(env) && !env.cluster)
      throw new ConflictError(
        `The platform in ${env.home} already runs, without cluster mode.`,
        'Stop it with `roro server down`, then `roro server up --cluster`.',
      );
    // The supervisor turns Swarm mode on and remembers the mode in RORO_HOME once it has.
    process.env.RORO_CLUSTER = '1';
    env = parsePlatformEnv();
  }
  step(`Starting the roro platform in ${env.home}${env.cluster ? ' (cluster mode: Docker Swarm)' : ''}`);
  const state = await serverUp(env, (line) => detail(line));
  if (state.admin?.created) {
    step(`Created the first admin ${state.admin.email}`);
    if (state.admin.passwordFile) {
      detail(`Generated password: ${fs.readFileSync(state.admin.passwordFile, 'utf8').trim()}`);
      detail(`(kept in ${state.admin.passwordFile}, readable only by ${process.env.USER ?? 'you'})`);
    } else detail('Password: the one in RORO_ADMIN_PASSWORD.');
  }
  await status(env, opts);
}

async function status(env: PlatformEnv, opts: { json?: boolean }) {
  const components = await platformStatus(env);
  const ca = path.join(homePaths(env.home).tls, 'ca.crt');
  if (opts.json) {
    printJson({ home: env.home, components, caCert: fs.existsSync(ca) ? ca : undefined });
  } else {
    table(
      ['COMPONENT', 'STATUS', 'URL', 'NOTE'],
      components.map((c) => [c.name, c.status, c.url, c.detail]),
    );
    const ui = components.find((c) => c.name === 'temporal-ui');
    if (ui) {
      info(`\nDeploy history: ${ui.url}/namespaces/${env.temporalNamespace}/workflows`);
      info('  (one project: search RoroProject = "NAME"; deploys only: add AND RoroKind = "deploy")');
    }
    if (fs.existsSync(ca)) info(`Trust the gateway's certificate:\n${trustCommand(ca)}`);
  }
  if (components.some((c) => c.status === 'down')) process.exitCode = 1;
}

export async function serverCommand(
  action: string,
  arg: string | undefined,
  opts: {
    json?: boolean;
    follow?: boolean;
    lines?: unknown;
    force?: boolean;
    start?: boolean;
    cluster?: boolean;
  },
) {
  const env = parsePlatformEnv();
  switch (action) {
    case 'up':
      return up(env, opts);
    case 'down': {
      const pid = supervisorRunning(env);
      if (!pid) return warn('The platform is not running (nothing to stop).');
      step('Stopping the roro platform');
      await serverDown(env);
      return info('Stopped. Data stays in ' + env.home + '.');
    }
    case 'status':
      return status(env, opts);
    case 'logs':
      return serverLogs(env, arg, opts);
    case 'backup':
      return serverBackup(env, arg, opts);
    case 'restore':
      return serverRestore(env, arg, opts);
    case 'enable':
      return serverEnable(env);
    case 'disable':
      return serverDisable();
    case 'trust':
      return serverTrust(env, true, opts);
    case 'untrust':
      return serverTrust(env, false, opts);
    default:
      throw new ConfigError(
        `Unknown server action ${action}.`,
        'Use one of: up, down, status, logs, backup, restore, enable, disable, trust, untrust.',
      );
  }
}

export { out };
