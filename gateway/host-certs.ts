import { X509Certificate, createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { RoroError } from '../core/errors.js';
import { CERTS_HEADER } from './nginx-lua.js';
import { caFiles, isDnsName, issueLeaf, leafConfig } from './tls.js';

/**
 * Certificates of single service hosts (`proj.localhost`), for a single-label domain where clients
 * refuse the wildcard `*.localhost`. Each host has its own leaf, signed by the roro CA, in
 * `<tlsDir>/hosts/`; nginx picks one per connection by the name the client asked for (the Lua
 * `ssl_certificate_by_lua` hook), so a new host never reloads nginx.
 */

const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

function hostsDir(tlsDir: string): string {
  return path.join(tlsDir, 'hosts');
}

function files(tlsDir: string, host: string): { cert: string; key: string } {
  const base = path.join(hostsDir(tlsDir), host);
  return { cert: `${base}.crt`, key: `${base}.key` };
}

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** True when the stored pair is for `host`, signed by this CA, matching, and not due for renewal. */
function current(host: string, certPem: string, keyPem: string, ca: X509Certificate): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const names = (cert.subjectAltName ?? '').split(',').map((n) => n.trim());
    return (
      names.includes(`DNS:${host}`) &&
      Date.parse(cert.validTo) - Date.now() > RENEW_BEFORE_MS &&
      cert.checkIssued(ca) &&
      cert.verify(ca.publicKey) &&
      cert.checkPrivateKey(createPrivateKey(keyPem))
    );
  } catch {
    return false;
  }
}

/**
 * Makes sure each of `hosts` has a current certificate (issuing the missing ones), removes those of
 * hosts no longer served, and returns the bundle nginx loads: every host's certificate and key.
 */
export async function syncHostCerts(tlsDir: string, hosts: string[]): Promise<string> {
  const bad = hosts.find((h) => !isDnsName(h));
  if (bad !== undefined) {
    throw new RoroError(
      `Host name ${JSON.stringify(bad)} cannot go in a certificate: use lowercase DNS labels.`,
    );
  }
  const ca = caFiles(tlsDir);
  const caPem = read(ca.cert);
  if (caPem === undefined) {
    throw new RoroError(`The roro CA ${ca.cert} is missing: restart the platform, which creates it.`);
  }
  const caCert = new X509Certificate(caPem);
  fs.mkdirSync(hostsDir(tlsDir), { recursive: true, mode: 0o700 });
  const wanted = [...new Set(hosts)].sort();
  const blocks = [CERTS_HEADER];
  for (const host of wanted) {
    const f = files(tlsDir, host);
    let [cert, key] = [read(f.cert), read(f.key)];
    if (cert === undefined || key === undefined || !current(host, cert, key, caCert)) {
      await issueLeaf(tlsDir, leafConfig(host, [`DNS:${host}`]), ca, f);
      [cert, key] = [read(f.cert) ?? '', read(f.key) ?? ''];
    }
    blocks.push(`host ${host}`, cert.trim(), key.trim());
  }
  const keep = new Set(wanted.flatMap((h) => Object.values(files(tlsDir, h))));
  for (const name of fs.readdirSync(hostsDir(tlsDir))) {
    const file = path.join(hostsDir(tlsDir), name);
    if (!keep.has(file)) fs.rmSync(file, { force: true });
  }
  return `${blocks.join('\n')}\n`;
}
