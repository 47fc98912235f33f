import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../core/config.js';

const script = path.join(REPO_ROOT, 'runtimes', 'base', 'build.sh');

/** A PEM block with a random body: the recipe reads certificates as text only. */
function pem(): string {
  const body = crypto
    .randomBytes(96)
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}

function recipe(bundle: string, trustDir: string): string {
  return execFileSync('bash', [script, '--print-recipe'], {
    env: { ...process.env, RORO_HOST_CA_BUNDLE: bundle, RORO_TRUST_SYSTEM_DIR: trustDir },
    encoding: 'utf8',
  }).trim();
}

test("the base image's recipe follows the host's roots but not roro's own CA, trusted or not", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-recipe-'));
  try {
    const trust = path.join(dir, 'trust');
    fs.mkdirSync(trust);
    const roots = [pem(), pem()];
    const own = pem();
    const before = path.join(dir, 'before.crt');
    fs.writeFileSync(before, roots.join(''));
    const base = recipe(before, trust);
    assert.match(base, /^[0-9a-f]{16}$/);

    // `roro server trust`: roro's CA in the system store's folder, and so in the bundle.
    fs.writeFileSync(path.join(trust, 'roro-0123abcd.crt'), own);
    const trusted = path.join(dir, 'trusted.crt');
    fs.writeFileSync(trusted, roots[0]! + own + roots[1]!);
    assert.equal(recipe(trusted, trust), base);

    // A root of the host's own (a proxy's CA) is a real change.
    const more = path.join(dir, 'more.crt');
    fs.writeFileSync(more, roots.join('') + pem());
    assert.notEqual(recipe(more, trust), base);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
