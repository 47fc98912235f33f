import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { promisify } from 'node:util';
import type { PlatformEnv } from '../core/config.js';
import { engineTrustPath, REGISTRY_USER, registryPaths } from '../core/cluster-setting.js';
import { swarmState } from '../containers/swarm-cluster.js';
import { dockerClient } from './components.js';
import type { Component } from './component.js';

const run = promisify(execFile);

/** Where the nodes reach the registry: RORO_REGISTRY_ADDR, else this node's Swarm address; with the port. */
export async function registryAddress(env: PlatformEnv): Promise<string> {
  const host = env.registryAddr ?? (await swarmState(dockerClient(env), env.dockerSocket)).nodeAddr;
  if (!host)
    throw new Error(
      'cluster mode: the engine reports no Swarm address for the registry: set RORO_REGISTRY_ADDR.',
    );
  return `${host}:${env.ports.registry}`;
}

const isIp = (host: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
const san = (host: string) => (isIp(host) ? `IP:${host}` : `DNS:${host}`);
const permitted = (host: string) =>
  isIp(host) ? `permitted;IP:${host}/255.255.255.255` : `permitted;DNS:${host}`;

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args, { timeout: 30_000 });
}

/**
 * The registry's own CA, made by roro and limited to the registry's address, so that nodes trusting
 * it trust nothing else; the gateway's CA is limited to the platform's domain and cannot sign for it.
 */
async function ensureRegistryTls(env: PlatformEnv, host: string): Promise<void> {
  const p = registryPaths(env.home);
  const stamp = path.join(p.dir, 'tls-host');
  if (fs.existsSync(stamp) && fs.existsSync(p.cert) && fs.readFileSync(stamp, 'utf8').trim() === host) return;
  const cnf = path.join(p.dir, 'openssl.cnf');
  fs.writeFileSync(
    cnf,
    [
      '[req]',
      'distinguished_name = dn',
      'prompt = no',
      '[dn]',
      'CN = roro registry CA',
      '[ca]',
      'basicConstraints = critical,CA:TRUE,pathlen:0',
      'keyUsage = critical,keyCertSign,cRLSign',
      `nameConstraints = critical,${permitted(host)},permitted;IP:127.0.0.1/255.255.255.255`,
      '[leaf]',
      'basicConstraints = critical,CA:FALSE',
      'keyUsage = critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage = serverAuth',
      `subjectAltName = ${san(host)},IP:127.0.0.1`,
      '',
    ].join('\n'),
  );
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl([
    'req',
    '-x509',
    '-new',
    ...ec,
    '-keyout',
    p.caKey,
    '-out',
    p.caCert,
    '-days',
    '3650',
    '-config',
    cnf,
    '-extensions',
    'ca',
  ]);
  const csr = path.join(p.dir, 'registry.csr');
  await openssl([
    'req',
    '-new',
    ...ec,
    '-keyout',
    p.key,
    '-out',
    csr,
    '-config',
    cnf,
    '-subj',
    `/CN=${host}`,
  ]);
  const serial = `0x${crypto.randomBytes(16).toString('hex')}`;
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    p.caCert,
    '-CAkey',
    p.caKey,
    '-set_serial',
    serial,
    '-days',
    '825',
    '-extfile',
    cnf,
    '-extensions',
    'leaf',
    '-out',
    p.cert,
  ]);
  for (const f of [p.caKey, p.key]) fs.chmodSync(f, 0o600);
  fs.rmSync(csr, { force: true });
  fs.writeFileSync(stamp, host);
}

/**
 * The manager's engine pushes every image, so it trusts the registry's CA the way any node does:
 * Docker reads /etc/docker/certs.d/<host:port>/ca.crt at each connection, no restart needed.
 */
function trustOnThisEngine(address: string, caCert: string): void {
  const target = engineTrustPath(address);
  const ca = fs.readFileSync(caCert);
  if (fs.existsSync(target) && fs.readFileSync(target).equals(ca)) return;
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, ca, { mode: 0o644 });
  } catch (err) {
    throw new Error(
      `cluster mode: the engine must trust the registry's CA, but ${target} cannot be written (${(err as Error).message}). Copy ${caCert} there as root, then start again.`,
      { cause: err },
    );
  }
}

/** The nodes' password (kept in RORO_HOME/secrets) and its bcrypt line for the registry. */
async function ensureCredentials(env: PlatformEnv): Promise<void> {
  const p = registryPaths(env.home);
  if (!fs.existsSync(p.password))
    fs.writeFileSync(p.password, crypto.randomBytes(24).toString('base64url'), { mode: 0o600 });
  const password = fs.readFileSync(p.password, 'utf8').trim();
  // htpasswd reads the password on stdin (-i), so it never shows in a process list.
  const child = execFile('htpasswd', ['-niB', REGISTRY_USER]);
  child.stdin!.end(password);
  let line = '';
  child.stdout!.on('data', (d: Buffer) => (line += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0 || !line.startsWith(`${REGISTRY_USER}:`))
    throw new Error('htpasswd failed: run scripts/setup.sh (apt-get install apache2-utils).');
  fs.writeFileSync(p.htpasswd, line.trim() + '\n', { mode: 0o600 });
}

async function prepareRegistry(env: PlatformEnv): Promise<void> {
  const p = registryPaths(env.home);
  fs.mkdirSync(p.data, { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.dirname(p.caCert), { recursive: true, mode: 0o700 });
  const address = await registryAddress(env);
  fs.writeFileSync(p.address, address);
  await ensureRegistryTls(env, address.slice(0, address.lastIndexOf(':')));
  trustOnThisEngine(address, p.caCert);
  await ensureCredentials(env);
  const secret = crypto.randomBytes(24).toString('base64url');
  fs.writeFileSync(
    p.config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${p.data}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 0.0.0.0:${env.ports.registry}`,
      `  secret: ${secret}`,
      '  tls:',
      `    certificate: ${p.cert}`,
      `    key: ${p.key}`,
      'auth:',
      '  htpasswd:',
      '    realm: roro',
      `    path: ${p.htpasswd}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
}

/** Up when it answers /v2/ over TLS from its CA and asks for credentials. */
export function registryAnswers(env: PlatformEnv): Promise<boolean> {
  const p = registryPaths(env.home);
  return new Promise((resolve) => {
    const req = https.get(
      {
        host: '127.0.0.1',
        port: env.ports.registry,
        path: '/v2/',
        ca: fs.readFileSync(p.caCert),
        timeout: 2000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 401);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/** Debian's docker-registry, in cluster mode: the images every node pulls. */
export function registryComponent(env: PlatformEnv): Component {
  return {
    name: 'registry',
    url: `https://0.0.0.0:${env.ports.registry}`,
    port: env.ports.registry,
    prepare: () => prepareRegistry(env),
    command: () => ({ cmd: 'docker-registry', args: ['serve', registryPaths(env.home).config] }),
    ready: () => registryAnswers(env),
    readyTimeoutMs: 30_000,
  };
}
