import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { homePaths } from '../core/config.js';
import { RoroError } from '../core/errors.js';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PREFIX = 'v1:';
const keys = new Map<string, Buffer>();

export const configKeyPath = (home: string) => path.join(homePaths(home).secrets, 'config-key');

/**
 * The master key for config values, created on first use as a 0600 file. The API and the worker may
 * both create it at once: each writes a temp file and links it into place, so exactly one key wins.
 */
export function masterKey(home: string): Buffer {
  const file = configKeyPath(home);
  const cached = keys.get(file);
  if (cached) return cached;
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
    fs.writeFileSync(tmp, crypto.randomBytes(KEY_BYTES).toString('base64'), { mode: 0o600, flag: 'wx' });
    try {
      fs.linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
  const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== KEY_BYTES) {
    throw new RoroError(`The config key ${file} is damaged (not ${KEY_BYTES} bytes).`, {
      code: 'config_key',
      hint: 'Restore it from a backup; without it stored config values cannot be read.',
    });
  }
  keys.set(file, key);
  return key;
}

/** AES-256-GCM with a random IV; `aad` binds the ciphertext to where it is stored. */
export function seal(key: Buffer, plaintext: string, aad: string): string {
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

export function open(key: Buffer, sealed: string, aad: string): string {
  if (!sealed.startsWith(PREFIX))
    throw new RoroError('A stored config value has an unknown format.', { code: 'config_key' });
  const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
  if (raw.length < IV_BYTES + TAG_BYTES)
    throw new RoroError('A stored config value is truncated.', { code: 'config_key' });
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
      'utf8',
    );
  } catch (err) {
    throw new RoroError("A stored config value does not decrypt with this server's config key.", {
      code: 'config_key',
      hint: 'RORO_HOME/secrets/config-key was replaced; restore the original key.',
      cause: err,
    });
  }
}
