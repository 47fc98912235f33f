import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { RoroError } from '../../core/errors.js';
import { prepareRoutes, renderNginxConfig, type NginxConfigInput, type Route } from './nginx-config.js';
import { ensureTls } from './tls.js';

const execFileP = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type GatewayOptions = Omit<NginxConfigInput, 'routes' | 'generation'> & {
  /** nginx binary; Debian's nginx-light by default. */
  nginxBin?: string;
  /**
   * Set when `tls` came from `ensureTls(tlsDir, domain)` (the roro CA, not a user's certificate): on a
   * single-label domain such as `localhost`, where clients refuse `*.localhost`, the leaf is re-issued
   * to name every service host before the routes are applied.
   */
  tlsDir?: string;
};

export interface ApplyResult {
  /** False when the rendered config equals the one already installed (nothing was reloaded). */
  changed: boolean;
  /** True when a running nginx was reloaded and now serves the new routes. */
  reloaded: boolean;
  generation: string;
}

/**
 * Owns the gateway's nginx config in runDir. The supervisor starts nginx with `command()`; route
 * changes go through `applyRoutes`, which installs a config only after `nginx -t` accepts it and
 * returns once the reloaded nginx serves it, so a failed change leaves the old routes serving.
 */
export class Gateway {
  readonly configFile: string;
  readonly pidFile: string;
  /** Fast shutdown; SIGQUIT would wait for open WebSockets up to worker_shutdown_timeout. */
  readonly stopSignal: NodeJS.Signals = 'SIGTERM';
  private readonly opts: GatewayOptions;
  private readonly bin: string;
  private certHosts: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: GatewayOptions) {
    this.opts = { ...opts, runDir: path.resolve(opts.runDir), logDir: path.resolve(opts.logDir) };
    this.bin = opts.nginxBin ?? '/usr/sbin/nginx';
    this.configFile = path.join(this.opts.runDir, 'nginx.conf');
    this.pidFile = path.join(this.opts.runDir, 'nginx.pid');
  }

  /** Writes a first, validated config (no route yet unless given); call before `command()` is run. */
  async prepare(routes: Route[] = []): Promise<void> {
    fs.mkdirSync(path.join(this.opts.runDir, 'tmp'), { recursive: true });
    fs.mkdirSync(this.opts.logDir, { recursive: true });
    await this.serialized(async () => {
      await this.syncCertificate(routes);
      return this.install(routes, true);
    });
  }

  /** How to start nginx in the foreground as a child of the platform supervisor. */
  command(): { cmd: string; args: string[] } {
    // -e: errors before the config is read go to the supervisor's log rather than a root-owned default
    return { cmd: this.bin, args: ['-c', this.configFile, '-p', `${this.opts.runDir}/`, '-e', 'stderr'] };
  }

  /** Installs the route table; when nginx runs, reloads it and waits until the new routes serve. */
  async applyRoutes(routes: Route[], opts: { timeoutMs?: number } = {}): Promise<ApplyResult> {
    return this.serialized(async () => {
      await this.syncCertificate(routes);
      const result = await this.install(routes, false);
      const pid = this.masterPid();
      if (!result.changed || pid === undefined) return result;
      process.kill(pid, 'SIGHUP');
      await this.waitGeneration(result.generation, opts.timeoutMs ?? 10_000);
      return { ...result, reloaded: true };
    });
  }

  /**
   * True when nginx answers on both ports. Any generation counts: another process (the routes
   * activity) may have applied newer routes than this instance knows.
   */
  async ready(): Promise<boolean> {
    return (await this.servedGeneration()) !== undefined && (await tcpAnswers(this.opts.httpsPort));
  }

  /** The running nginx master's pid, read from the pid file and checked against /proc to rule out a reused pid. */
  masterPid(): number | undefined {
    try {
      const pid = Number(fs.readFileSync(this.pidFile, 'utf8').trim());
      if (!Number.isInteger(pid) || pid < 1) return undefined;
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return cmdline.includes('nginx') && cmdline.includes(this.configFile) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Re-issues the roro leaf certificate when the set of service hosts it must name has changed. */
  private async syncCertificate(routes: Route[]): Promise<void> {
    const { tlsDir, domain } = this.opts;
    if (!tlsDir || domain.includes('.')) return;
    const hosts = prepareRoutes(routes).map((r) => `${r.label}.${domain}`);
    const key = hosts.join(' ');
    if (key === this.certHosts) return;
    const files = await ensureTls(tlsDir, domain, { hosts });
    if (files.cert !== this.opts.tls.cert || files.key !== this.opts.tls.key) {
      throw new RoroError(
        `The gateway serves ${this.opts.tls.cert}, not the roro certificate in ${tlsDir}: pass tlsDir only with tls from ensureTls(tlsDir, ...).`,
      );
    }
    this.certHosts = key;
  }

  private render(routes: Route[], generation: string): string {
    return renderNginxConfig({ ...this.opts, routes, generation });
  }

  /** Renders, validates with `nginx -t` and renames into place; the installed file is never a half-written one. */
  private async install(routes: Route[], force: boolean): Promise<ApplyResult> {
    const current = fs.existsSync(this.configFile) ? fs.readFileSync(this.configFile, 'utf8') : undefined;
    // The generation is read from the file, so a no-op is recognised whichever process wrote it.
    const installed = /^# generation (\S+)$/m.exec(current ?? '')?.[1];
    if (!force && installed !== undefined && current === this.render(routes, installed)) {
      return { changed: false, reloaded: false, generation: installed };
    }
    const generation = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    const next = `${this.configFile}.${process.pid}.next`;
    fs.writeFileSync(next, this.render(routes, generation), { mode: 0o644 });
    try {
      await execFileP(this.bin, ['-t', '-q', '-c', next, '-p', `${this.opts.runDir}/`, '-e', 'stderr'], {
        timeout: 30_000,
      });
    } catch (err) {
      const detail = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
      throw new RoroError(
        `The gateway refused the new routes, so the previous routes keep serving: ${detail}`,
        {
          code: 'gateway_config',
          hint: `Inspect ${next} and the route table; nginx's message above names the line.`,
          cause: err,
        },
      );
    }
    fs.renameSync(next, this.configFile);
    return { changed: true, reloaded: false, generation };
  }

  private async waitGeneration(generation: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await this.servedGeneration()) === generation) return;
      await sleep(50);
    }
    const log = tail(path.join(this.opts.logDir, 'gateway-error.log'), 5);
    throw new RoroError(
      `nginx did not load the new routes within ${timeoutMs / 1000} s: ${log || 'see the gateway error log'}`,
      {
        code: 'gateway_reload',
        hint: `Read ${path.join(this.opts.logDir, 'gateway-error.log')}; restarting the platform reloads the gateway.`,
      },
    );
  }

  /** The generation the running nginx reports on the plain HTTP port, or undefined when it does not answer. */
  private servedGeneration(): Promise<string | undefined> {
    return new Promise((resolve) => {
      const req = http.get(
        {
          host: '127.0.0.1',
          port: this.opts.httpPort,
          path: '/.roro/generation',
          agent: false,
          timeout: 1000,
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c.length < 1000 ? c : ''));
          res.on('end', () => {
            try {
              resolve((JSON.parse(body) as { generation?: string }).generation);
            } catch {
              resolve(undefined);
            }
          });
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(undefined));
    });
  }
}

function tcpAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

function tail(file: string, n: number): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-n).join(' | ');
  } catch {
    return '';
  }
}
