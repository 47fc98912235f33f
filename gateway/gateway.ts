import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { RoroError } from '../core/errors.js';
import {
  prepareRoutes,
  renderNginxConfig,
  renderRouteTable,
  spoolDir,
  type NginxConfigInput,
  type Route,
} from './nginx-config.js';
import { adminSocket, certsFile, routeTableFile } from './nginx-lua.js';
import { putAdmin, servedGeneration, tcpAnswers, type Served } from './gateway-http.js';
import { childPids, stoppedAccepting, testNginxConfig } from './nginx-process.js';
import { syncHostCerts } from './host-certs.js';
import { setTimeout as sleep } from 'node:timers/promises';

const newGeneration = () => `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
const GENERATION_LINE = /^# generation (\S+)$|^generation (\S+)$/m;

export type GatewayOptions = Omit<NginxConfigInput, 'generation'> & {
  /** nginx binary; Debian's nginx-light by default. */
  nginxBin?: string;
  /**
   * Set when `tls` came from `ensureTls(tlsDir, domain)` (the roro CA, not a user's certificate): on a
   * single-label domain such as `localhost`, where clients refuse `*.localhost`, every service host
   * gets a certificate of its own, issued and handed to nginx with the routes, without a reload.
   */
  tlsDir?: string;
  /** The file nginx's stderr, its error log, ends up in (the platform's `gateway.log`); quoted in error messages. */
  errorLog?: string;
};

export interface ApplyResult {
  /** False when nginx already served exactly these routes with this config. */
  changed: boolean;
  /** True when nginx had to be reloaded (new config); route and host certificate changes never reload. */
  reloaded: boolean;
  /** The route table generation nginx now serves. */
  generation: string;
}

/**
 * Owns the gateway's nginx config and route table in runDir. The supervisor starts nginx with
 * `command()`; `applyRoutes` writes the route table file (loaded by a starting nginx) and pushes it to
 * the running nginx through its admin socket, so routes change without a reload and without closing
 * a client connection. nginx is reloaded only when the config itself changes, after `nginx -t`
 * accepted it, so a failed change leaves the old config serving.
 */
export class Gateway {
  readonly configFile: string;
  readonly pidFile: string;
  readonly tableFile: string;
  readonly adminSocket: string;
  readonly certsFile: string;
  /** Fast shutdown; SIGQUIT would wait for open WebSockets up to worker_shutdown_timeout. */
  readonly stopSignal: NodeJS.Signals = 'SIGTERM';
  private readonly opts: GatewayOptions;
  private readonly bin: string;
  /** The host certificate bundle this process last handed to the running nginx. */
  private certsPushed: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: GatewayOptions) {
    this.opts = { ...opts, runDir: path.resolve(opts.runDir) };
    this.bin = opts.nginxBin ?? '/usr/sbin/nginx';
    this.configFile = path.join(this.opts.runDir, 'nginx.conf');
    this.pidFile = path.join(this.opts.runDir, 'nginx.pid');
    this.tableFile = routeTableFile(this.opts.runDir);
    this.adminSocket = adminSocket(this.opts.runDir);
    this.certsFile = certsFile(this.opts.runDir);
  }

  /** Writes a first, validated config and route table (no route unless given); call before `command()` is run. */
  async prepare(routes: Route[] = []): Promise<void> {
    renderRouteTable(routes, '0');
    this.ensureDirs();
    await this.serialized(async () => {
      await this.writeCerts(routes);
      await this.install(true);
      this.writeTable(routes);
      // A killed nginx leaves its socket behind, and a new one could not bind it.
      if (this.masterPid() === undefined) fs.rmSync(this.adminSocket, { force: true });
    });
  }

  /** How to start nginx in the foreground as a child of the platform supervisor. */
  command(): { cmd: string; args: string[] } {
    // -e: errors before the config is read go to the supervisor's log rather than a root-owned default
    return { cmd: this.bin, args: ['-c', this.configFile, '-p', `${this.opts.runDir}/`, '-e', 'stderr'] };
  }

  /**
   * Installs the route table and the service hosts' certificates; when nginx runs, sends both to nginx
   * and returns once nginx serves them. nginx is reloaded only when its config must change (new settings).
   */
  async applyRoutes(routes: Route[], opts: { timeoutMs?: number } = {}): Promise<ApplyResult> {
    renderRouteTable(routes, '0'); // refuses a bad table before anything changes
    const timeoutMs = opts.timeoutMs ?? 10_000;
    return this.serialized(async () => {
      this.ensureDirs();
      const certs = await this.writeCerts(routes);
      const config = await this.install(false);
      const table = this.writeTable(routes);
      const pid = this.masterPid();
      if (pid === undefined) return { ...table, changed: config.changed || table.changed, reloaded: false };
      // Certificates first: a route to a new host is served only once its certificate is.
      if (certs !== undefined && (certs.changed || certs.bundle !== this.certsPushed)) {
        await this.pushCerts(certs.bundle, timeoutMs);
      }
      let served = await servedGeneration(this.opts.httpPort);
      let reloaded = false;
      if (config.changed || (served && served.config !== config.generation)) {
        served = await this.reload(pid, config.generation, timeoutMs);
        reloaded = true;
      }
      if (served?.generation === table.generation) {
        return { changed: config.changed || table.changed, reloaded, generation: table.generation };
      }
      return { changed: true, reloaded, generation: await this.pushTable(timeoutMs) };
    });
  }

  /**
   * True when nginx answers on both ports. Any generation counts: another process (the routes
   * activity) may have applied newer routes than this instance knows.
   */
  async ready(): Promise<boolean> {
    return (
      (await servedGeneration(this.opts.httpPort)) !== undefined && (await tcpAnswers(this.opts.httpsPort))
    );
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

  /**
   * runDir is 0700 because the admin socket inside is all that guards route changes. A separate
   * spoolDir is 0711 so workers that run as another user reach the 0700 directories nginx makes in it.
   */
  private ensureDirs(): void {
    const spool = spoolDir(this.opts);
    fs.mkdirSync(this.opts.runDir, { recursive: true, mode: 0o700 });
    fs.chmodSync(this.opts.runDir, 0o700);
    fs.mkdirSync(spool, { recursive: true, mode: 0o700 });
    if (this.opts.spoolDir !== undefined) fs.chmodSync(spool, 0o711);
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * On a single-label domain with the roro CA, gives each service host its certificate and writes the
   * bundle a starting nginx loads; returns the bundle and whether the file held another one (written by
   * this or another process), or undefined when hosts need no certificate.
   */
  private async writeCerts(routes: Route[]): Promise<{ bundle: string; changed: boolean } | undefined> {
    const { tlsDir, domain } = this.opts;
    if (!tlsDir || domain.includes('.')) return undefined;
    const bundle = await syncHostCerts(
      tlsDir,
      prepareRoutes(routes).map((r) => `${r.label}.${domain}`),
    );
    const changed = readOr(this.certsFile, '') !== bundle;
    if (changed) {
      const next = `${this.certsFile}.${process.pid}.next`;
      fs.writeFileSync(next, bundle, { mode: 0o600 });
      fs.renameSync(next, this.certsFile);
    }
    return { bundle, changed };
  }

  /** Hands the host certificates to the running nginx; they serve from the next TLS handshake on. */
  private async pushCerts(bundle: string, timeoutMs: number): Promise<void> {
    await this.put('/certs', bundle, timeoutMs, 'the host certificates', this.certsFile);
    this.certsPushed = bundle;
  }

  /** Renders, validates with `nginx -t` and renames into place; the installed file is never a half-written one. */
  private async install(force: boolean): Promise<{ changed: boolean; generation: string }> {
    const render = (generation: string) => renderNginxConfig({ ...this.opts, generation });
    const current = readOr(this.configFile, '');
    // The generation is read from the file, so a no-op is recognised whichever process wrote it.
    const installed = GENERATION_LINE.exec(current)?.[1];
    if (!force && installed !== undefined && current === render(installed)) {
      return { changed: false, generation: installed };
    }
    const generation = newGeneration();
    const next = `${this.configFile}.${process.pid}.next`;
    fs.writeFileSync(next, render(generation), { mode: 0o644 });
    try {
      await testNginxConfig(this.bin, next, `${this.opts.runDir}/`);
    } catch (err) {
      const detail = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
      throw new RoroError(
        `The gateway refused its new config, so the previous one keeps serving: ${detail}`,
        {
          code: 'gateway_config',
          hint: `Inspect ${next}; nginx's message above names the line.`,
          cause: err,
        },
      );
    }
    fs.renameSync(next, this.configFile);
    return { changed: true, generation };
  }

  /**
   * Reloads nginx and waits until no worker with the old config accepts connections: nginx lets old
   * workers accept for a moment after the new ones answer, and those still serve the old certificate.
   */
  private async reload(pid: number, generation: string, timeoutMs: number): Promise<Served> {
    const oldWorkers = childPids(pid);
    process.kill(pid, 'SIGHUP');
    const served = await this.waitServed((s) => s.config === generation, timeoutMs, 'load the new config');
    const deadline = Date.now() + timeoutMs;
    while (!oldWorkers.every(stoppedAccepting)) {
      if (Date.now() > deadline) {
        throw new RoroError(
          `nginx's old workers still accept connections ${timeoutMs / 1000} s after a reload.`,
          {
            code: 'gateway_reload',
            hint: `Read ${this.errorLogName()}; restarting the platform restarts the gateway.`,
          },
        );
      }
      await sleep(20);
    }
    return served;
  }

  /** Writes the route table file unless it already holds these routes; it is what a starting nginx loads. */
  private writeTable(routes: Route[]): { changed: boolean; generation: string } {
    const current = readOr(this.tableFile, '');
    const installed = GENERATION_LINE.exec(current)?.[2];
    if (installed !== undefined && current === renderRouteTable(routes, installed)) {
      return { changed: false, generation: installed };
    }
    const generation = newGeneration();
    const next = `${this.tableFile}.${process.pid}.next`;
    fs.writeFileSync(next, renderRouteTable(routes, generation), { mode: 0o600 });
    fs.renameSync(next, this.tableFile);
    return { changed: true, generation };
  }

  /**
   * Sends the table file, as it is now, to nginx: should another process have written a newer table
   * meanwhile, nginx gets that one rather than ours. Returns the generation nginx then serves.
   */
  private async pushTable(timeoutMs: number): Promise<string> {
    const table = fs.readFileSync(this.tableFile, 'utf8');
    const generation = GENERATION_LINE.exec(table)?.[2] ?? '';
    await this.put('/routes', table, timeoutMs, 'the new routes', this.tableFile);
    await this.waitServed((s) => s.generation === generation, timeoutMs, 'serve the new routes');
    return generation;
  }

  private async put(
    what: '/routes' | '/certs',
    body: string,
    timeoutMs: number,
    name: string,
    file: string,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let refused: string | undefined;
      try {
        refused = await putAdmin(this.adminSocket, what, body);
        if (refused === undefined) return;
      } catch (err) {
        // nginx may be starting or reloading: its socket answers shortly
        if (Date.now() < deadline) {
          await sleep(100);
          continue;
        }
        refused = (err as Error).message;
      }
      throw new RoroError(`nginx did not take ${name} through ${this.adminSocket}: ${refused}`, {
        code: 'gateway_routes',
        hint: `Read ${this.errorLogName()}; restarting the platform loads ${file}.`,
      });
    }
  }

  private async waitServed(done: (s: Served) => boolean, timeoutMs: number, what: string): Promise<Served> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const served = await servedGeneration(this.opts.httpPort);
      if (served && done(served)) return served;
      await sleep(50);
    }
    const log = this.opts.errorLog ? tail(this.opts.errorLog, 5) : '';
    throw new RoroError(
      `nginx did not ${what} within ${timeoutMs / 1000} s: ${log || 'see the gateway error log'}`,
      {
        code: 'gateway_reload',
        hint: `Read ${this.errorLogName()}; restarting the platform reloads the gateway.`,
      },
    );
  }

  private errorLogName(): string {
    return this.opts.errorLog ?? "nginx's error output (its stderr)";
  }
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

function tail(file: string, n: number): string {
  return readOr(file, '').trim().split('\n').slice(-n).join(' | ');
}
