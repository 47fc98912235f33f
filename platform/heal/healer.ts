import fs from 'node:fs';
import path from 'node:path';
import type { Pool } from 'pg';
import type { Client } from '@temporalio/client';
import { homePaths, type PlatformEnv } from '../../core/config.js';
import { RoroError } from '../../core/errors.js';
import type { ContainerDriver, ContainerEvent } from '../../containers/driver.js';
import { probe } from '../../containers/probe.js';
import { publishRoutes } from '../../activities/routes.js';
import type { Gateway } from '../../gateway/gateway.js';
import { createOperation } from '../../api/deploys.js';
import type { Project } from '../../api/projects.js';
import {
  decideHealing,
  type ContainerMemory,
  type HealAction,
  type ServiceMemory,
  type ServiceReport,
  type WantedService,
} from './decide.js';
import { exitReason } from './exit-reason.js';
import { Canary } from './canary.js';

export interface HealerDeps {
  env: PlatformEnv;
  db: Pool;
  driver: ContainerDriver;
  gateway: Gateway;
  temporal: Client;
  log: (line: string) => void;
}

/** What `roro server status` reads: the healer's last sweep. */
export interface HealerReport {
  pid: number;
  at: string;
  services: ServiceReport[];
  canary?: Canary['state'];
}

export function healerReportPath(home: string): string {
  return path.join(homePaths(home).run, 'healer.json');
}

export function readHealerReport(home: string): HealerReport | undefined {
  try {
    return JSON.parse(fs.readFileSync(healerReportPath(home), 'utf8')) as HealerReport;
  } catch {
    return undefined;
  }
}

const SERVICE_LABELS = { 'roro.managed': 'true', 'roro.kind': 'service' };
const QUIET_SWEEP_MS = 5000;
const SETTLING_SWEEP_MS = 500;
const FAILED_SWEEP_MS = 2000;

/**
 * Keeps every service at its desired state. The database says what should run (services: release
 * rollout and instance count); the engine says what does. Crashed processes are restarted by the
 * engine itself (restart policy `unless-stopped`, with its own back-off); the healer covers the
 * rest: containers killed or stopped outside roro and containers left stopped after an engine
 * restart are started again, services whose containers are gone are rolled out again through the
 * deploy workflow, and each route follows the instances that answer their health probe. Docker's
 * event stream wakes it at once; a sweep every few seconds catches anything an event missed.
 */
export class Healer {
  private readonly containerMemory = new Map<string, ContainerMemory>();
  private readonly serviceMemory = new Map<string, ServiceMemory>();
  private readonly oomKilled = new Set<string>();
  private readonly dying = new Set<string>();
  /** Containers whose last exit is counted already (until they start again): one exit, one count. */
  private readonly exitCounted = new Set<string>();
  private readonly readyWritten = new Map<string, number>();
  private wakeRequested = false;
  private lastFailure: string | undefined;
  private resolveWait: (() => void) | undefined;
  private gatewayStale = true;

  private readonly canary: Canary;

  constructor(private readonly deps: HealerDeps) {
    this.canary = new Canary(deps.driver, deps.db, deps.env.home);
  }

  async run(signal: AbortSignal): Promise<void> {
    void this.followEvents(signal);
    const onAbort = () => this.wake();
    signal.addEventListener('abort', onAbort, { once: true });
    while (!signal.aborted) {
      this.wakeRequested = false;
      let settling = true;
      let pause: number | undefined;
      try {
        settling = await this.sweep();
        this.lastFailure = undefined;
      } catch (err) {
        // The database or the engine is away: say so once, and look again every few seconds.
        const message = (err as Error).message;
        if (message !== this.lastFailure) this.deps.log(`sweep failed: ${message}`);
        this.lastFailure = message;
        pause = FAILED_SWEEP_MS;
      }
      // An event that arrived during the sweep is not lost: the next sweep starts at once.
      if (this.wakeRequested || signal.aborted) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pause ?? (settling ? SETTLING_SWEEP_MS : QUIET_SWEEP_MS));
        this.resolveWait = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.resolveWait = undefined;
    }
    signal.removeEventListener('abort', onAbort);
  }

  private wake(): void {
    this.wakeRequested = true;
    this.resolveWait?.();
  }

  /** Follows the engine's events for service containers, reconnecting whenever the engine goes away. */
  private async followEvents(signal: AbortSignal): Promise<void> {
    let connected = true;
    while (!signal.aborted) {
      try {
        for await (const e of this.deps.driver.events(SERVICE_LABELS, signal)) {
          if (!connected) this.deps.log('docker events: connected again');
          connected = true;
          await this.onEvent(e).catch((err: Error) => this.deps.log(`event ${e.action}: ${err.message}`));
          if (e.action === 'die' || e.action === 'start' || e.action === 'destroy') this.wake();
        }
      } catch (err) {
        if (connected) this.deps.log(`docker events: ${(err as Error).message}; reconnecting`);
        connected = false;
      }
      this.wake();
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  private async onEvent(e: ContainerEvent): Promise<void> {
    if (e.action === 'oom') this.oomKilled.add(e.id);
    if (e.action === 'die') this.dying.add(e.id);
    if (e.action === 'start') {
      this.dying.delete(e.id);
      this.exitCounted.delete(e.id);
    }
    if (e.action === 'destroy') {
      this.dying.delete(e.id);
      this.oomKilled.delete(e.id);
      this.exitCounted.delete(e.id);
    }
    if (e.action !== 'die') return;
    await this.recordExit(e.id, e.labels, e.at, exitReason(e.exitCode, this.oomKilled.delete(e.id)));
  }

  /**
   * Counts an exit of a serving instance: only while its service should run, only for the rollout
   * that serves, and never while a deploy of the project is under way (a deploy stops old
   * instances on purpose).
   */
  private async recordExit(id: string, labels: Record<string, string>, at: number, reason: string) {
    if (this.exitCounted.has(id)) return;
    this.exitCounted.add(id);
    const res = await this.deps.db.query(
      `UPDATE services s SET restarts = restarts + 1, last_exit = $4, last_exit_at = to_timestamp($5 / 1000.0)
       FROM projects p
       WHERE p.id = s.project_id AND p.name = $1 AND s.name = $2 AND s.deploy_id = $3 AND s.desired = 'running'
         AND NOT EXISTS (SELECT 1 FROM deploys d WHERE d.project_id = p.id AND d.status = 'running')`,
      [labels['roro.project'], labels['roro.service'], labels['roro.deploy'], reason, at],
    );
    if (res.rowCount)
      this.deps.log(`${labels['roro.project']}/${labels['roro.service']}: instance ${reason}`);
  }

  private async wanted(): Promise<WantedService[]> {
    const res = await this.deps.db.query<WantedService>(
      `SELECT p.id::text AS "projectId", p.name AS project, s.name AS service, s.deploy_id AS "deployId",
              s.instances, r.deploy_id AS "routeDeployId", COALESCE(r.upstreams, '{}') AS "routeUpstreams",
              EXISTS (SELECT 1 FROM deploys d WHERE d.project_id = p.id AND d.status = 'running') AS "deployRunning"
       FROM services s JOIN projects p ON p.id = s.project_id
       LEFT JOIN routes r ON r.project_id = s.project_id AND r.service = s.name
       WHERE s.desired = 'running' AND s.deploy_id IS NOT NULL AND s.instances > 0
       ORDER BY p.name, s.name`,
    );
    return res.rows;
  }

  /** One look at the database and the engine, and whatever it takes to close the gap. */
  async sweep(): Promise<boolean> {
    const services = await this.wanted();
    const containers = await this.deps.driver.list(SERVICE_LABELS);
    const serving = new Set(services.map((s) => `${s.project}/${s.service}/${s.deployId}`));
    const probes = new Map<string, boolean>();
    await Promise.all(
      containers
        .filter(
          (c) =>
            c.state === 'running' &&
            c.hostPort &&
            serving.has(`${c.labels['roro.project']}/${c.labels['roro.service']}/${c.labels['roro.deploy']}`),
        )
        .map(async (c) =>
          probes.set(c.id, await probe(c.hostPort!, c.labels['roro.health-path'], { host: c.hostAddress })),
        ),
    );
    for (const c of containers) if (c.state !== 'running') this.dying.delete(c.id);
    const decision = decideHealing({
      services,
      containers,
      probes,
      dying: this.dying,
      containerMemory: this.containerMemory,
      serviceMemory: this.serviceMemory,
      now: Date.now(),
    });
    let routesChanged = false;
    for (const action of decision.actions) {
      try {
        if (action.kind === 'route') routesChanged = (await this.setRoute(action)) || routesChanged;
        else if (action.kind === 'start') await this.start(action);
        else await this.replace(action);
      } catch (err) {
        this.deps.log(
          `${action.project}/${action.service}: ${action.kind} failed: ${(err as Error).message}`,
        );
      }
    }
    try {
      routesChanged = (await this.canary.keep()) || routesChanged;
    } catch (err) {
      this.deps.log(`canary: ${(err as Error).message}`);
    }
    if (routesChanged || this.gatewayStale) {
      try {
        await publishRoutes(this.deps.db, this.deps.gateway);
        this.gatewayStale = false;
      } catch (err) {
        this.gatewayStale = true;
        this.deps.log(`gateway update failed: ${(err as Error).message}; retrying`);
      }
    }
    await this.saveReports(decision.reports, services);
    return decision.settling || this.gatewayStale;
  }

  private async setRoute(a: Extract<HealAction, { kind: 'route' }>): Promise<boolean> {
    // Checked again in the same statement: a deploy that began since the sweep's read owns the route.
    const res = await this.deps.db.query(
      `UPDATE routes SET upstreams = $3, deploy_id = $4, updated_at = now()
       WHERE project_id = $1 AND service = $2
         AND NOT EXISTS (SELECT 1 FROM deploys WHERE project_id = $1 AND status = 'running')
         AND EXISTS (SELECT 1 FROM services WHERE project_id = $1 AND name = $2 AND deploy_id = $4 AND desired = 'running')`,
      [a.projectId, a.service, a.upstreams, a.deployId],
    );
    if (res.rowCount) {
      this.deps.log(
        `${a.project}/${a.service}: route -> ${a.upstreams.length ? a.upstreams.join(' ') : 'no instance (503)'}`,
      );
    }
    return Boolean(res.rowCount);
  }

  private async start(a: Extract<HealAction, { kind: 'start' }>): Promise<void> {
    const st = await this.deps.driver.inspect(a.containerId);
    const at = st.finishedAt ? Date.parse(st.finishedAt) : Date.now();
    await this.recordExit(a.containerId, st.labels, at, exitReason(st.exitCode, st.oomKilled));
    this.deps.log(`${a.project}/${a.service}: starting ${st.name} again (attempt ${a.attempt})`);
    await this.deps.driver.start(a.containerId);
  }

  /** Containers are gone: the deploy workflow rolls the service out again from its release. */
  private async replace(a: Extract<HealAction, { kind: 'replace' }>): Promise<void> {
    const project = { id: a.projectId, name: a.project } as Project;
    try {
      const op = await createOperation(
        { env: this.deps.env, db: this.deps.db, temporal: this.deps.temporal },
        project,
        null,
        'restart',
        { service: a.service },
      );
      this.deps.log(
        `${a.project}/${a.service}: ${a.missing} instance(s) gone; rolling out again (${op.id}, attempt ${a.attempt})`,
      );
    } catch (err) {
      if (!(err instanceof RoroError)) throw err;
      this.deps.log(`${a.project}/${a.service}: not rolled out again yet: ${err.message}`);
    }
  }

  private async saveReports(reports: ServiceReport[], services: WantedService[]): Promise<void> {
    for (const r of reports) {
      // A running deploy owns the instances; the count it recorded stands until it ends.
      if (r.status === 'deploying') continue;
      const s = services.find((x) => x.project === r.project && x.service === r.service)!;
      const key = `${s.projectId}/${r.service}`;
      if (this.readyWritten.get(key) === r.ready) continue;
      await this.deps.db.query(
        `UPDATE services SET ready = $3, observed_at = now() WHERE project_id = $1 AND name = $2`,
        [s.projectId, r.service, r.ready],
      );
      this.readyWritten.set(key, r.ready);
    }
    const report: HealerReport = {
      pid: process.pid,
      at: new Date().toISOString(),
      services: reports,
      canary: this.canary.state,
    };
    const file = healerReportPath(this.deps.env.home);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(report));
    fs.renameSync(`${file}.tmp`, file);
  }
}
