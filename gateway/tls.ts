import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ConfigError } from '../core/errors.js';

const execFileP = promisify(execFile);
const OPENSSL = 'openssl';
const CA_DAYS = 3650;
const LEAF_DAYS = 825; // about two years, and the longest lifetime Apple clients accept for a TLS certificate
const RENEW_BEFORE_S = 30 * 24 * 3600;

export interface TlsFiles {
  /** The roro CA that signed `cert`; null when the user supplied their own certificate. */
  caCert: string | null;
  cert: string;
  key: string;
  userSupplied: boolean;
}

async function openssl(args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileP(OPENSSL, args, { timeout: 30_000, maxBuffer: 1 << 20 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${(e.stderr || e.message).trim()}`, { cause: err });
  }
}

async function succeeds(args: string[]): Promise<boolean> {
  return openssl(args).then(
    () => true,
    () => false,
  );
}

/**
 * DNS and IP names the gateway's own leaf certificate carries. OpenSSL-based clients (curl, Python,
 * Node) refuse a wildcard directly under a single label (`*.localhost`), so on such a domain each
 * service host gets a certificate of its own (host-certs.ts), chosen per connection by its name.
 */
export function leafNames(domain: string): string[] {
  const names = [`DNS:${domain}`, `DNS:*.${domain}`];
  if (domain === 'localhost') names.push('IP:127.0.0.1');
  return names;
}

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const DNS_NAME_RE = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);

export function isDnsName(name: string): boolean {
  return DNS_NAME_RE.test(name) && name.length <= 253;
}

function checkDomain(domain: string): void {
  if (!isDnsName(domain)) {
    throw new ConfigError(
      `RORO_DOMAIN=${JSON.stringify(domain)} is not a DNS name: use lowercase labels separated by dots, such as "roro.example.com".`,
    );
  }
}

/** The CA is limited to the platform's domain, so a leaked CA key cannot vouch for any other site. */
function caConfig(domain: string): string {
  const permitted = [`permitted;DNS:${domain}`];
  if (domain === 'localhost') permitted.push('permitted;IP:127.0.0.0/255.0.0.0');
  return [
    '[req]',
    'distinguished_name = dn',
    'prompt = no',
    '[dn]',
    'CN = roro local CA',
    '[ext]',
    'basicConstraints = critical,CA:TRUE,pathlen:0',
    'keyUsage = critical,keyCertSign,cRLSign',
    'subjectKeyIdentifier = hash',
    `nameConstraints = critical,${permitted.join(',')}`,
    '',
  ].join('\n');
}

/** An `openssl req` config for a server certificate named `cn` with these subjectAltNames. */
export function leafConfig(cn: string, altNames: string[]): string {
  return [
    '[req]',
    'distinguished_name = dn',
    'prompt = no',
    '[dn]',
    `CN = ${cn}`,
    '[ext]',
    'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage = serverAuth',
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid',
    `subjectAltName = ${altNames.join(',')}`,
    '',
  ].join('\n');
}

/** Public key of a certificate or a private key, to check that the two belong together. */
async function publicKeyOf(file: string, kind: 'cert' | 'key'): Promise<string> {
  if (kind === 'cert') return openssl(['x509', '-in', file, '-noout', '-pubkey']);
  // An empty passphrase makes an encrypted key fail at once instead of prompting on a terminal.
  return openssl(['pkey', '-in', file, '-pubout', '-passin', 'pass:']);
}

async function keyMatches(cert: string, key: string): Promise<boolean> {
  try {
    return (await publicKeyOf(cert, 'cert')) === (await publicKeyOf(key, 'key'));
  } catch {
    return false;
  }
}

async function validFor(cert: string, seconds: number): Promise<boolean> {
  return succeeds(['x509', '-in', cert, '-noout', '-checkend', String(seconds)]);
}

/** Runs `fn` with a scratch directory inside tlsDir (same file system, so results can be renamed in). */
async function withScratch<T>(tlsDir: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(tlsDir, '.tmp-'));
  try {
    return await fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function install(from: string, to: string, mode: number): void {
  fs.chmodSync(from, mode);
  fs.renameSync(from, to);
}

/** A new P-256 key without a passphrase, the arguments `openssl req` takes for it. */
const NEW_EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function createCa(tlsDir: string, domain: string, caCert: string, caKey: string): Promise<void> {
  await withScratch(tlsDir, async (dir) => {
    const cnf = path.join(dir, 'ca.cnf');
    fs.writeFileSync(cnf, caConfig(domain));
    const [key, crt] = [path.join(dir, 'ca.key'), path.join(dir, 'ca.crt')];
    const req = ['req', '-x509', '-new', ...NEW_EC_KEY, '-keyout', key, '-out', crt];
    await openssl([...req, '-days', String(CA_DAYS), '-config', cnf, '-extensions', 'ext']);
    install(key, caKey, 0o600);
    install(crt, caCert, 0o644);
  });
}

export interface Pair {
  cert: string;
  key: string;
}

/** Issues a leaf from an `openssl req` config (leafConfig), signed by `ca`, into `out` (key 0600). */
export async function issueLeaf(scratchIn: string, config: string, ca: Pair, out: Pair): Promise<void> {
  await withScratch(scratchIn, async (dir) => {
    const file = (name: string) => path.join(dir, name);
    const [cnf, key, csr, crt] = [file('leaf.cnf'), file('leaf.key'), file('leaf.csr'), file('leaf.crt')];
    fs.writeFileSync(cnf, config);
    await openssl(['req', '-new', ...NEW_EC_KEY, '-keyout', key, '-out', csr, '-config', cnf]);
    const serial = `0x${randomBytes(16).toString('hex')}`;
    const sign = ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', serial];
    await openssl([...sign, '-days', String(LEAF_DAYS), '-extfile', cnf, '-extensions', 'ext', '-out', crt]);
    install(key, out.key, 0o600);
    install(crt, out.cert, 0o644);
  });
}

async function leafCurrent(domain: string, caCert: string, cert: string, key: string): Promise<boolean> {
  if (!fs.existsSync(cert) || !fs.existsSync(key)) return false;
  if (!(await validFor(cert, RENEW_BEFORE_S))) return false;
  // verify also fails when the CA was replaced or its name constraints no longer cover the domain
  if (!(await succeeds(['verify', '-CAfile', caCert, cert]))) return false;
  const sans = await openssl(['x509', '-in', cert, '-noout', '-ext', 'subjectAltName']).catch(() => '');
  const found = new Set(
    (sans.split('\n')[1] ?? '').split(',').map((s) => s.trim().replace(/^IP Address:/, 'IP:')),
  );
  // Leaves of older versions also named each service host: those names do no harm.
  if (!leafNames(domain).every((n) => found.has(n))) return false;
  return keyMatches(cert, key);
}

async function userCertificate(certFile: string, keyFile: string): Promise<TlsFiles> {
  for (const f of [certFile, keyFile]) {
    if (!fs.existsSync(f))
      throw new ConfigError(
        `TLS file ${f} does not exist: point RORO_TLS_CERT and RORO_TLS_KEY at readable PEM files.`,
      );
  }
  if (!(await validFor(certFile, 0))) {
    throw new ConfigError(
      `The certificate in ${certFile} is unreadable or expired: supply a current PEM certificate in RORO_TLS_CERT.`,
    );
  }
  if (!(await keyMatches(certFile, keyFile))) {
    throw new ConfigError(
      `The key in ${keyFile} does not match the certificate in ${certFile} (or is encrypted): set RORO_TLS_KEY to the unencrypted PEM key of that certificate.`,
    );
  }
  return { caCert: null, cert: path.resolve(certFile), key: path.resolve(keyFile), userSupplied: true };
}

/** Where ensureTls keeps the roro CA. */
export function caFiles(tlsDir: string): Pair {
  return { cert: path.join(tlsDir, 'ca.crt'), key: path.join(tlsDir, 'ca.key') };
}

export interface EnsureTlsOptions {
  /** RORO_TLS_CERT / RORO_TLS_KEY: a certificate and unencrypted key to serve instead of the roro CA's. */
  certFile?: string;
  keyFile?: string;
}

/**
 * Returns the certificate the gateway serves. A user-supplied pair (RORO_TLS_CERT / RORO_TLS_KEY) is
 * checked and used as it is; otherwise a private CA and a leaf certificate for `domain` and
 * `*.domain` are created on first use and reused, with the leaf re-issued when it no longer fits.
 */
export async function ensureTls(
  tlsDir: string,
  domain: string,
  opts: EnsureTlsOptions = {},
): Promise<TlsFiles> {
  if (opts.certFile || opts.keyFile) {
    if (!opts.certFile || !opts.keyFile) {
      throw new ConfigError(
        'Only one of RORO_TLS_CERT and RORO_TLS_KEY is set: set both, or neither to use the roro CA.',
      );
    }
    return userCertificate(opts.certFile, opts.keyFile);
  }
  checkDomain(domain);
  fs.mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
  const ca = caFiles(tlsDir);
  const leaf = { cert: path.join(tlsDir, 'gateway.crt'), key: path.join(tlsDir, 'gateway.key') };
  const caOk =
    fs.existsSync(ca.cert) &&
    fs.existsSync(ca.key) &&
    (await validFor(ca.cert, LEAF_DAYS * 24 * 3600)) &&
    (await keyMatches(ca.cert, ca.key));
  if (!caOk) await createCa(tlsDir, domain, ca.cert, ca.key);
  if (!caOk || !(await leafCurrent(domain, ca.cert, leaf.cert, leaf.key))) {
    // A CA whose name constraints exclude a new domain cannot sign for it: start over with a new CA.
    if (caOk && !(await caCovers(ca.cert, domain))) await createCa(tlsDir, domain, ca.cert, ca.key);
    await issueLeaf(tlsDir, leafConfig(domain, leafNames(domain)), ca, leaf);
  }
  return { caCert: ca.cert, cert: leaf.cert, key: leaf.key, userSupplied: false };
}

async function caCovers(caCert: string, domain: string): Promise<boolean> {
  const text = await openssl(['x509', '-in', caCert, '-noout', '-ext', 'nameConstraints']).catch(() => '');
  return text.split('\n').some((line) => line.trim() === `DNS:${domain}`);
}

/** Lines for `roro server status` under a heading of the caller's: how to make clients trust the roro CA. */
export function trustCommand(caCert: string): string {
  const q = shellQuote(caCert);
  return [
    `  Everywhere:     sudo roro server trust   (the system store, and this user's Chromium and Firefox)`,
    `  curl:           curl --cacert ${q} https://...`,
    // Both replace Python's default CA bundle, which is fine for talking to roro only.
    `  Python:         export REQUESTS_CA_BUNDLE=${q} SSL_CERT_FILE=${q}`,
    `  Node:           export NODE_EXTRA_CA_CERTS=${q}`,
  ].join('\n');
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
