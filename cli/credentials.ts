import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function configDir(): string {
  const base = process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'roro');
}

const credentialsFile = () => path.join(configDir(), 'credentials.json');
const settingsFile = () => path.join(configDir(), 'config.json');

interface Credential {
  email: string;
  token: string;
}

function readJson<T>(file: string, fallback: T): T {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return fallback;
  }
}

/** Tokens live in a 0600 file, one entry per server URL. */
function writeSecretJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2), { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

export function getCredential(server: string): Credential | undefined {
  return readJson<Record<string, Credential>>(credentialsFile(), {})[server];
}

export function saveCredential(server: string, cred: Credential): string {
  const all = readJson<Record<string, Credential>>(credentialsFile(), {});
  all[server] = cred;
  writeSecretJson(credentialsFile(), all);
  return credentialsFile();
}

export function removeCredential(server: string): boolean {
  const all = readJson<Record<string, Credential>>(credentialsFile(), {});
  if (!all[server]) return false;
  delete all[server];
  writeSecretJson(credentialsFile(), all);
  return true;
}

export function savedServerUrl(): string | undefined {
  return readJson<{ url?: string }>(settingsFile(), {}).url;
}

export function saveServerUrl(url: string): void {
  const all = readJson<Record<string, unknown>>(settingsFile(), {});
  all.url = url;
  writeSecretJson(settingsFile(), all);
}
