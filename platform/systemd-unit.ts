import path from 'node:path';
import { ConfigError } from '../core/errors.js';
import { supervisorPidPath } from './state.js';

export const UNIT_NAME = 'roro.service';
export const DEFAULT_SYSTEMD_DIR = '/etc/systemd/system';

/** Variables only the CLI reads, or that point at the unit itself: the platform does not need them. */
const CLI_ONLY = new Set(['RORO_URL', 'RORO_PROJECT', 'RORO_SYSTEMD_DIR']);
/** Never written into a world-readable unit file. */
const SECRET = /PASSWORD|PASSWD|TOKEN|SECRET|API_KEY|CREDENTIAL/i;
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/@:]*:[^/@]+@/i;
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * What the unit puts in the platform's environment: RORO_HOME, every RORO_*, TEMPORAL_* and
 * DOCKER_SOCKET setting in force except secrets (RORO_ADMIN_PASSWORD, tokens), and a PATH that finds
 * this node first.
 */
export function unitEnvironment(
  env: NodeJS.ProcessEnv,
  home: string,
  nodeBin: string,
): Record<string, string> {
  const carried: Record<string, string> = {};
  for (const [name, value] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (value === undefined || value === '' || CLI_ONLY.has(name) || SECRET.test(name)) continue;
    if (!/^(RORO|TEMPORAL)_/.test(name) && !['DOCKER_SOCKET', 'DOCKER_HOST', 'PGPASSFILE'].includes(name))
      continue;
    // A URL with a password in it (RORO_DATABASE_URL) is a secret too; left out, the platform would
    // start at boot on an empty database of its own, so it is refused instead.
    if (URL_WITH_PASSWORD.test(value))
      throw new ConfigError(
        `${name} holds a password, which the unit file (readable by every user) would show.`,
        `Give ${name} without its password and put the password in root's ~/.pgpass (or a file named by PGPASSFILE), which PostgreSQL clients read; then run \`roro server enable\` again.`,
      );
    carried[name] = value;
  }
  const nodeDir = path.dirname(nodeBin);
  const PATH = SYSTEM_PATH.split(':').includes(nodeDir) ? SYSTEM_PATH : `${nodeDir}:${SYSTEM_PATH}`;
  return { ...carried, RORO_HOME: home, PATH };
}

function checkValue(name: string, value: string): void {
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new ConfigError(
      `${name} holds a control character (a newline?), which a systemd unit cannot carry.`,
      `Set ${name} to a value on one line and run \`roro server enable\` again.`,
    );
  }
}

/** A double-quoted systemd word; `%` is a specifier and, in command lines, `$` a variable. */
function quote(value: string, inCommand: boolean): string {
  let q = value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%');
  if (inCommand) q = q.replace(/\$/g, '$$$$');
  return `"${q}"`;
}

export interface UnitInput {
  /** The checkout whose bin/roro runs the platform. */
  repo: string;
  home: string;
  environment: Record<string, string>;
}

/** The roro.service unit that starts the platform at boot and stops it at shutdown. */
export function renderUnit(input: UnitInput): string {
  const roro = quote(path.join(input.repo, 'bin', 'roro'), true);
  const environment = Object.entries(input.environment).map(([name, value]) => {
    checkValue(name, value);
    return `Environment=${quote(`${name}=${value}`, false)}`;
  });
  return [
    '# Written by `roro server enable`; `roro server disable` removes it. Edits are lost on the next enable.',
    '[Unit]',
    'Description=roro platform (PostgreSQL, Temporal, Docker, API, gateway, worker)',
    'Wants=network-online.target',
    // A Docker engine started by systemd must answer first, or roro would start a dockerd of its own.
    'After=network-online.target docker.service',
    '',
    '[Service]',
    // forking: `roro server up` starts the supervisor detached and exits 0 only once every component
    // answers (1 if one fails), so the unit is "active" exactly when the platform is up, and systemd
    // follows the supervisor by its pid file. Type=simple around a foreground supervisor would be
    // "active" before anything answers, and Type=notify would need sd_notify, which Node lacks.
    'Type=forking',
    `PIDFile=${quote(supervisorPidPath(input.home), false)}`,
    ...environment,
    `ExecStart=${roro} server up`,
    `ExecStop=${roro} server down`,
    'Restart=on-failure',
    'RestartSec=10s',
    // `roro server up` itself gives up after 300 s (a first start initialises PostgreSQL and Temporal).
    'TimeoutStartSec=330s',
    // `roro server down` waits up to 120 s for the supervisor, which stops each component in turn.
    'TimeoutStopSec=150s',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/** A POSIX shell word, for the boot command printed where systemd does not run. */
function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The same start as the unit's, as one shell command line (for cron's @reboot or /etc/rc.local). */
export function bootCommand(input: UnitInput): string {
  const assignments = Object.entries(input.environment).map(([k, v]) => shellWord(`${k}=${v}`));
  return ['env', ...assignments, shellWord(path.join(input.repo, 'bin', 'roro')), 'server', 'up'].join(' ');
}
