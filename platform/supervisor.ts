import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { homePaths, logPath, type PlatformEnv } from '../core/config.js';
import { createLogger, type Logger } from '../core/logger.js';
import type { Component, ComponentStatus, SupervisorState } from './component.js';
import { lastLines } from './log-reader.js';
import { copyLines, outputPipe } from './output-pipe.js';
import { portFree, sleep } from './proc.js';
import { waitFor } from '../core/wait.js';
import { crashesInARow, restartDelayMs } from './restart-backoff.js';
import { RotatingLog } from './rotating-log.js';
import { writeState } from './state.js';

interface Running {
  component: Component;
  status: ComponentStatus;
  child?: ChildProcess;
  restarts: number;
  /** Crashes since the component last ran for STABLE_MS: what the back-off grows with. */
  crashesInARow?: number;
  /** When it last became up (Date.now()). */
  upSince?: number;
  exited?: string;
  /** Settles when the child's stdout and stderr have both been read to their end. */
  output?: Promise<void>;
}

/** How long a dead child's output may take to arrive: a grandchild holding the pipe open must not stall the supervisor. */
const OUTPUT_GRACE_MS = 2000;
/** How long an external component (RORO_DATABASE_URL, TEMPORAL_ADDRESS) may take to answer at start. */
const EXTERNAL_WAIT_MS = 30_000;

/**
 * Starts the components in order, waits until each is ready, restarts any that crash, and
 * stops the ones it started (in reverse order) on SIGTERM.
 */
export class Supervisor {
  private running: Running[] = [];
  private stopping = false;
  private state: SupervisorState;
  private logs = new Map<string, RotatingLog>();

  constructor(
    private readonly env: PlatformEnv,
    private readonly components: Component[],
    private readonly hooks: {
      afterComponent?: (name: string) => Promise<Partial<SupervisorState> | void>;
    } = {},
    /** Its own output is its rotated log (platform/own-output.ts). */
    private readonly logger: Logger = createLogger('supervisor'),
  ) {
    this.state = {
      pid: process.pid,
      status: 'starting',
      startedAt: new Date().toISOString(),
      components: [],
    };
  }

  /** One line about a component: what happened to it (`event`), with the message for people. */
  private log(component: string | undefined, event: string, message: string, fields: object = {}) {
    const level = event === 'failed' || event === 'restart-failed' || event === 'killed' ? 'warn' : 'info';
    this.logger[level]({ ...(component ? { component } : {}), event, ...fields }, message);
  }

  /** One size-rotating writer per log, kept across restarts of its component. */
  private logFor(name: string): RotatingLog {
    let log = this.logs.get(name);
    if (!log) {
      // Created at once, so `roro server logs` finds a log even for a component that has said nothing yet.
      fs.appendFileSync(logPath(this.env.home, name), '');
      log = new RotatingLog(logPath(this.env.home, name), this.env.logs);
      this.logs.set(name, log);
    }
    return log;
  }

  /** Waits (briefly) until a component's output is in its log, so the last lines shown are the last it wrote. */
  private async outputWritten(r: Running): Promise<void> {
    if (r.output && r.exited) await Promise.race([r.output, sleep(OUTPUT_GRACE_MS)]);
    await this.logFor(r.component.name).flush();
  }

  private save() {
    this.state.components = this.running.map((r) => ({
      name: r.component.name,
      status: r.status,
      pid: r.child?.pid,
      url: r.component.url,
      log: logPath(this.env.home, r.component.name),
      restarts: r.restarts,
    }));
    writeState(this.env.home, this.state);
  }

  async start(): Promise<boolean> {
    for (const component of this.components) {
      const r: Running = { component, status: 'starting', restarts: 0 };
      this.running.push(r);
      this.save();
      try {
        await this.bringUp(r);
        const extra = await this.hooks.afterComponent?.(component.name);
        if (extra) Object.assign(this.state, extra);
      } catch (err) {
        r.status = 'failed';
        await this.outputWritten(r);
        const message = (err as Error).message;
        this.state.status = 'failed';
        this.state.failure = {
          component: component.name,
          message,
          log: logPath(this.env.home, component.name),
        };
        this.log(component.name, 'failed', `${component.name} failed to start: ${message}`);
        this.save();
        await this.stopAll();
        return false;
      }
      this.save();
    }
    this.state.status = 'up';
    this.save();
    this.log(undefined, 'platform-up', 'platform up');
    return true;
  }

  private async bringUp(r: Running): Promise<void> {
    const c = r.component;
    if (await c.external?.()) {
      if (c.externalReady) await this.waitExternal(c, c.externalReady);
      r.status = 'external';
      this.log(c.name, 'external', `${c.name}: using the one already running at ${c.url}`);
      return;
    }
    if (c.port !== undefined && !(await portFree(c.port))) {
      throw new Error(
        `port ${c.port} on 127.0.0.1 is already in use by another process; stop it or choose another port (RORO_PORT_BASE or RORO_*_PORT)`,
      );
    }
    await c.prepare?.();
    this.spawn(r);
    await waitFor(() => c.ready().catch(() => false), {
      timeoutMs: c.readyTimeoutMs,
      intervalMs: 300,
      abort: () => (r.exited ? `exited during start (${r.exited})` : undefined),
    });
    await c.afterReady?.();
    r.status = 'up';
    r.upSince = Date.now();
    this.log(c.name, 'up', `${c.name} up at ${c.url}`);
  }

  /** An external component is not started, but the platform cannot start without it either. */
  private async waitExternal(c: Component, check: NonNullable<Component['externalReady']>): Promise<void> {
    let last = '';
    try {
      await waitFor(
        async () => {
          try {
            return await check.probe();
          } catch (err) {
            last = (err as Error).message;
            return false;
          }
        },
        { timeoutMs: EXTERNAL_WAIT_MS, intervalMs: 500 },
      );
    } catch {
      throw new Error(
        `the external ${c.name} at ${c.url} did not answer in ${EXTERNAL_WAIT_MS / 1000} s${last ? ` (${last})` : ''}: ${check.hint}`,
      );
    }
  }

  private spawn(r: Running): void {
    const c = r.component;
    const { cmd, args, uid, gid, env } = c.command();
    // Output goes through the supervisor to a size-rotating log; the child never holds the log file.
    const run = homePaths(this.env.home).run;
    const stdout = outputPipe(run);
    let stderr: ReturnType<typeof outputPipe> | undefined;
    r.exited = undefined;
    let child: ChildProcess;
    try {
      stderr = outputPipe(run);
      child = spawn(cmd, args, {
        stdio: ['ignore', stdout.fd, stderr.fd],
        env: { ...process.env, ...env },
        ...(uid !== undefined ? { uid, gid } : {}),
        cwd: '/',
      });
    } finally {
      // Only the child keeps the write ends, so the reads end when it (and its children) exit.
      fs.closeSync(stdout.fd);
      if (stderr) fs.closeSync(stderr.fd);
    }
    r.output = Promise.all([
      copyLines(stdout.stream, this.logFor(c.stdoutLog ?? c.name), c.redact),
      copyLines(stderr.stream, this.logFor(c.name), c.redact),
    ]).then(() => undefined);
    r.child = child;
    this.log(c.name, 'start', `${c.name} started (pid ${child.pid})`, { pid: child.pid });
    child.on('error', (err) => {
      r.exited = `could not run ${cmd}: ${err.message}`;
    });
    child.on('exit', (code, signal) => {
      r.exited = signal ? `killed by ${signal}` : `exit code ${code}`;
      if (r.child === child) r.child = undefined;
      if (!this.stopping && r.status === 'up') void this.restart(r);
    });
  }

  /** A crashed component comes back with exponential back-off; its log keeps the reason. */
  private async restart(r: Running): Promise<void> {
    const c = r.component;
    r.status = 'restarting';
    r.restarts += 1;
    r.crashesInARow = crashesInARow(r.crashesInARow ?? 0, r.upSince && Date.now() - r.upSince);
    r.upSince = undefined;
    this.log(c.name, 'restart', `${c.name} ${r.exited}; restarting (restart #${r.restarts})`, {
      exit: r.exited,
      restarts: r.restarts,
    });
    this.save();
    await sleep(restartDelayMs(r.crashesInARow));
    if (this.stopping) return;
    try {
      this.spawn(r);
      await waitFor(() => c.ready().catch(() => false), {
        timeoutMs: c.readyTimeoutMs,
        abort: () => r.exited,
      });
      r.status = 'up';
      r.upSince = Date.now();
      this.log(c.name, 'up', `${c.name} up again`);
    } catch (err) {
      await this.outputWritten(r);
      this.log(c.name, 'restart-failed', `${c.name} restart failed: ${(err as Error).message}`, {
        lastLines: lastLines(logPath(this.env.home, c.name), 5),
      });
      if (!r.child && !this.stopping) {
        r.status = 'up'; // let the next exit trigger another attempt
        void this.restart(r);
        return;
      }
    }
    this.save();
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    this.state.status = this.state.status === 'failed' ? 'failed' : 'stopping';
    for (const r of [...this.running].reverse()) {
      if (!r.child) continue;
      const c = r.component;
      const child = r.child;
      this.log(c.name, 'stopping', `stopping ${c.name}`);
      const gone = new Promise<void>((res) => child.once('exit', () => res()));
      child.kill(c.stopSignal ?? 'SIGTERM');
      const timedOut = await Promise.race([
        gone.then(() => false),
        sleep(c.stopTimeoutMs ?? 15_000).then(() => true),
      ]);
      if (timedOut) {
        this.log(c.name, 'killed', `${c.name} did not stop in time; killing it`);
        child.kill('SIGKILL');
        await gone;
      }
      await Promise.race([r.output, sleep(OUTPUT_GRACE_MS)]);
      r.status = 'stopped';
      this.log(c.name, 'stopped', `${c.name} stopped`);
      await c
        .afterStop?.()
        .catch((err: Error) =>
          this.log(c.name, 'cleanup-failed', `${c.name}: cleaning up after it failed: ${err.message}`),
        );
      this.save();
    }
    await Promise.all([...this.logs.values()].map((log) => log.close()));
  }
}
