import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { RoroError } from '../core/errors.js';

const execFileP = promisify(execFile);

/**
 * Where tools and browsers look for trusted CAs, and how roro's CA is put there and taken out again,
 * as `mkcert -install` does: the system store (Debian's ca-certificates, read by curl, Python, git,
 * apt) and the NSS databases of the invoking user (Chromium's `~/.pki/nssdb`, each Firefox profile),
 * which browsers read instead of the system store.
 */

export interface TrustTargets {
  /** Debian's directory of local CAs; RORO_TRUST_SYSTEM_DIR moves it (tests, other distributions). */
  systemDir: string;
  /** The user whose browsers trust the CA: the one behind sudo, else the caller. */
  user: { home: string; uid: number; gid: number };
}

export type TrustStep = {
  store: string;
  /** added / removed: done now; present / absent: already so; skipped: could not (see `detail`). */
  outcome: 'added' | 'removed' | 'present' | 'absent' | 'skipped';
  detail?: string;
};

/** The invoking user's home: under sudo the user who ran sudo, from /etc/passwd. */
export function invokingUser(env: NodeJS.ProcessEnv = process.env): TrustTargets['user'] {
  const me = os.userInfo();
  const sudoUser = env.SUDO_USER;
  if (me.uid === 0 && sudoUser && sudoUser !== 'root') {
    const line = fs
      .readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.split(':')[0] === sudoUser);
    const f = line?.split(':');
    if (f && f.length >= 7) return { home: f[5]!, uid: Number(f[2]), gid: Number(f[3]) };
  }
  return { home: env.HOME || me.homedir, uid: me.uid, gid: me.gid };
}

export function trustTargets(env: NodeJS.ProcessEnv = process.env): TrustTargets {
  return {
    systemDir: env.RORO_TRUST_SYSTEM_DIR || '/usr/local/share/ca-certificates',
    user: invokingUser(env),
  };
}

/** A name that tells this CA from another roro platform's: its SHA-256 fingerprint's start. */
export function caNickname(caPem: string): { nickname: string; file: string } {
  const fp = new X509Certificate(caPem).fingerprint256.replace(/:/g, '').slice(0, 16).toLowerCase();
  return { nickname: `roro local CA ${fp}`, file: `roro-${fp}.crt` };
}

/** Chromium's database, and every Firefox profile that has an SQL database (cert9.db). */
export function nssDatabases(home: string): string[] {
  const dbs = [path.join(home, '.pki', 'nssdb')];
  for (const root of [
    path.join(home, '.mozilla', 'firefox'),
    path.join(home, 'snap', 'firefox', 'common', '.mozilla', 'firefox'),
  ]) {
    let entries: string[] = [];
    try {
      entries = fs.readdirSync(root);
    } catch {
      continue;
    }
    for (const e of entries.sort()) {
      if (fs.existsSync(path.join(root, e, 'cert9.db'))) dbs.push(path.join(root, e));
    }
  }
  return dbs;
}

async function run(cmd: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const { stdout, stderr } = await execFileP(cmd, args, { timeout: 60_000 });
    return { ok: true, out: `${stdout}${stderr}` };
  } catch (err) {
    const e = err as { code?: string; stdout?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') return { ok: false, out: 'ENOENT' };
    return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? e.message}`.trim() };
  }
}

const CERTUTIL_MISSING =
  'certutil is not installed: `apt-get install libnss3-tools` (scripts/setup.sh installs it), then run this again';

/** Under sudo, what roro makes in the user's home stays the user's. */
function chown(p: string, user: TrustTargets['user']): void {
  if (os.userInfo().uid === 0 && user.uid !== 0) fs.chownSync(p, user.uid, user.gid);
}

function chownTree(dir: string, user: TrustTargets['user']): void {
  for (const p of [dir, ...fs.readdirSync(dir).map((f) => path.join(dir, f))]) chown(p, user);
}

function skipped(store: string, out: string): TrustStep {
  return { store, outcome: 'skipped', detail: out === 'ENOENT' ? CERTUTIL_MISSING : out };
}

async function inNss(db: string, nickname: string): Promise<boolean> {
  return (await run('certutil', ['-d', `sql:${db}`, '-L', '-n', nickname])).ok;
}

async function systemStore(caPem: string, t: TrustTargets, add: boolean): Promise<TrustStep> {
  const store = `system store (${t.systemDir})`;
  const file = path.join(t.systemDir, caNickname(caPem).file);
  const present = fs.existsSync(file) && fs.readFileSync(file, 'utf8') === caPem;
  if (add === present) return { store, outcome: add ? 'present' : 'absent' };
  try {
    if (add) {
      fs.mkdirSync(t.systemDir, { recursive: true });
      fs.writeFileSync(file, caPem, { mode: 0o644 });
    } else fs.rmSync(file, { force: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      return {
        store,
        outcome: 'skipped',
        detail: `needs root: run \`sudo roro server ${add ? 'trust' : 'untrust'}\``,
      };
    }
    throw err;
  }
  if (!process.env.RORO_TRUST_SYSTEM_DIR) {
    const updated = await run('update-ca-certificates', []);
    if (!updated.ok) {
      return {
        store,
        outcome: 'skipped',
        detail:
          updated.out === 'ENOENT'
            ? 'update-ca-certificates is missing: `apt-get install ca-certificates`'
            : `update-ca-certificates failed: ${updated.out}`,
      };
    }
  }
  return { store, outcome: add ? 'added' : 'removed' };
}

async function nssStore(
  caFile: string,
  caPem: string,
  db: string,
  t: TrustTargets,
  add: boolean,
): Promise<TrustStep> {
  const store = `NSS database ${db}`;
  const { nickname } = caNickname(caPem);
  if (add && !fs.existsSync(path.join(db, 'cert9.db'))) {
    // Chromium makes ~/.pki/nssdb on its first start; made now, it finds the CA there.
    const parentMade = !fs.existsSync(path.dirname(db));
    fs.mkdirSync(db, { recursive: true, mode: 0o700 });
    const made = await run('certutil', ['-d', `sql:${db}`, '-N', '--empty-password']);
    if (!made.ok) return skipped(store, made.out);
    if (parentMade) chown(path.dirname(db), t.user);
    chownTree(db, t.user);
  } else if (!fs.existsSync(path.join(db, 'cert9.db'))) {
    return { store, outcome: 'absent' };
  }
  const present = await inNss(db, nickname);
  if (add === present) return { store, outcome: add ? 'present' : 'absent' };
  const args = add
    ? ['-d', `sql:${db}`, '-A', '-t', 'C,,', '-n', nickname, '-i', caFile]
    : ['-d', `sql:${db}`, '-D', '-n', nickname];
  const res = await run('certutil', args);
  if (!res.ok)
    return { store, outcome: 'skipped' as const, detail: res.out === 'ENOENT' ? CERTUTIL_MISSING : res.out };
  chownTree(db, t.user);
  return { store, outcome: add ? 'added' : 'removed' };
}

/** Adds (or, with add false, removes) roro's CA everywhere tools and the user's browsers look. */
export async function setTrust(caFile: string, add: boolean, t = trustTargets()): Promise<TrustStep[]> {
  if (!fs.existsSync(caFile)) {
    throw new RoroError(`roro's CA ${caFile} does not exist yet.`, {
      code: 'no_ca',
      hint: 'Start the platform once (`roro server up`), which creates it; a RORO_TLS_CERT certificate needs no roro CA.',
    });
  }
  const caPem = fs.readFileSync(caFile, 'utf8');
  const steps = [await systemStore(caPem, t, add)];
  for (const db of nssDatabases(t.user.home)) steps.push(await nssStore(caFile, caPem, db, t, add));
  return steps;
}
