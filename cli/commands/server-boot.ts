import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, type PlatformEnv } from '../../core/config.js';
import { RoroError } from '../../core/errors.js';
import {
  bootCommand,
  DEFAULT_SYSTEMD_DIR,
  renderUnit,
  UNIT_NAME,
  unitEnvironment,
} from '../../platform/systemd-unit.js';
import { detail, info, out, step, warn } from '../output.js';

const execFileP = promisify(execFile);

/** sd_booted(): systemd is the init of this machine. */
const systemdRunning = () => fs.existsSync('/run/systemd/system');

/** RORO_SYSTEMD_DIR (tests, packagers) gets the unit file only; systemctl is never pointed at it. */
function unitDir(): { dir: string; custom: boolean } {
  const custom = process.env.RORO_SYSTEMD_DIR;
  return custom ? { dir: path.resolve(custom), custom: true } : { dir: DEFAULT_SYSTEMD_DIR, custom: false };
}

async function systemctl(...args: string[]): Promise<void> {
  try {
    await execFileP('systemctl', args, { timeout: 60_000 });
  } catch (err) {
    const detailText = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
    throw new RoroError(`systemctl ${args.join(' ')} failed: ${detailText}`, {
      hint: 'Run it yourself to see why (as root), then `roro server enable` again.',
      cause: err,
    });
  }
}

function writeUnit(file: string, text: string): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text, { mode: 0o644 });
    fs.renameSync(tmp, file);
  } catch (err) {
    throw new RoroError(`Cannot write the systemd unit ${file}: ${(err as Error).message}.`, {
      hint: 'Run `roro server enable` as root (sudo), or set RORO_SYSTEMD_DIR to a directory you can write.',
      cause: err,
    });
  }
}

/** Writes roro.service and, where systemd runs, enables it; elsewhere says what starts roro at boot instead. */
export async function serverEnable(env: PlatformEnv): Promise<void> {
  const { dir, custom } = unitDir();
  const file = path.join(dir, UNIT_NAME);
  const input = {
    repo: REPO_ROOT,
    home: env.home,
    environment: unitEnvironment(process.env, env.home, process.execPath),
  };
  writeUnit(file, renderUnit(input));
  step(`Wrote ${file}`);
  out(file);
  if (systemdRunning() && !custom) {
    await systemctl('daemon-reload');
    await systemctl('enable', UNIT_NAME);
    step(`Enabled ${UNIT_NAME}: the platform starts at boot`);
    detail(
      'To hand a platform started by hand over to systemd now: roro server down && systemctl start roro',
    );
    return;
  }
  warn(
    custom
      ? `RORO_SYSTEMD_DIR is set, so systemctl was not run: install ${file} into /etc/systemd/system and run \`systemctl daemon-reload && systemctl enable roro\`.`
      : `systemd does not run on this machine (no /run/systemd/system), so nothing will read ${file}.`,
  );
  info('Without systemd, start the platform at boot with one of:');
  detail(`a line in root's crontab (crontab -e):  @reboot ${bootCommand(input)}`);
  detail(`a line in /etc/rc.local, before exit 0:  ${bootCommand(input)}`);
}

/** Disables and removes roro.service. */
export async function serverDisable(): Promise<void> {
  const { dir, custom } = unitDir();
  const file = path.join(dir, UNIT_NAME);
  if (!fs.existsSync(file)) {
    warn(`${file} does not exist: roro was not enabled at boot (nothing to remove).`);
    return;
  }
  const managed = systemdRunning() && !custom;
  if (managed) await systemctl('disable', UNIT_NAME);
  try {
    fs.rmSync(file);
  } catch (err) {
    throw new RoroError(`Cannot remove ${file}: ${(err as Error).message}.`, {
      hint: 'Run `roro server disable` as root (sudo).',
      cause: err,
    });
  }
  step(`Removed ${file}`);
  if (managed) await systemctl('daemon-reload');
  else info('If you added an @reboot crontab line or an /etc/rc.local line for roro, remove it too.');
}
