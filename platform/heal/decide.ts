import { upstreamOf } from '../../core/upstream.js';

/**
 * The healer's judgement, kept free of I/O so every rule is unit-tested: given what the database
 * wants (services and their routes), what the engine has (containers) and what the probes saw,
 * decide which containers to start, which services to roll out again and what each route
 * should point at.
 */

export interface WantedService {
  projectId: string;
  project: string;
  service: string;
  /** The rollout whose containers should serve (services.deploy_id). */
  deployId: string;
  instances: number;
  routeDeployId: string | null;
  routeUpstreams: string[];
  /** A deploy, rollback, start, stop or restart of the project is running: it owns the containers. */
  deployRunning: boolean;
}

export interface SeenContainer {
  id: string;
  state: string;
  hostPort?: number;
  /** The node address hostPort is published at; this host's loopback when absent. */
  hostAddress?: string;
  labels: Record<string, string>;
}

/** What the healer remembers of one container between sweeps. */
export interface ContainerMemory {
  ready: boolean;
  /** Failed probes in a row while running. */
  failures: number;
  /** Starts the healer made without the container staying up since. */
  starts: number;
  nextStartAt: number;
  readySince?: number;
}

/** What the healer remembers of one service between sweeps. */
export interface ServiceMemory {
  replacements: number;
  nextReplaceAt: number;
}

export type HealAction =
  | { kind: 'start'; containerId: string; project: string; service: string; attempt: number }
  | { kind: 'replace'; projectId: string; project: string; service: string; missing: number; attempt: number }
  | {
      kind: 'route';
      projectId: string;
      project: string;
      service: string;
      deployId: string;
      upstreams: string[];
    };

export type ServiceHealth = 'running' | 'degraded' | 'down' | 'deploying';

export interface ServiceReport {
  project: string;
  service: string;
  status: ServiceHealth;
  desired: number;
  running: number;
  ready: number;
  restarting: number;
  /** The path the healer probes on each instance, for an end-to-end check through the gateway. */
  healthPath?: string;
}

export interface HealInput {
  services: WantedService[];
  containers: SeenContainer[];
  /** Probe result of each running container with a port, by container id. */
  probes: Map<string, boolean>;
  /**
   * Containers the engine reported dead (a `die` event) that its listing may still show running for
   * a moment: out of the route at once, started again once the listing agrees.
   */
  dying: Set<string>;
  containerMemory: Map<string, ContainerMemory>;
  serviceMemory: Map<string, ServiceMemory>;
  now: number;
}

export interface HealDecision {
  actions: HealAction[];
  reports: ServiceReport[];
  /** True while something is on its way back: the next sweep should come soon. */
  settling: boolean;
}

/** A running instance must fail this many probes in a row before its route drops it: one slow answer is not an outage. */
export const PROBE_FAILURES_TO_DROP = 3;
/** An instance ready this long has recovered: its start back-off starts again from zero. */
export const STABLE_MS = 60_000;

/** The first start after an exit is immediate; repeated ones wait 2 s, 4 s, ... up to a minute. */
export function startDelayMs(starts: number): number {
  return starts <= 1 ? 0 : Math.min(60_000, 1000 * 2 ** (starts - 1));
}

/** Rolling a service out again is heavier: 10 s, 20 s, ... up to 5 minutes between attempts. */
export function replaceDelayMs(attempts: number): number {
  return Math.min(300_000, 10_000 * 2 ** Math.max(0, attempts - 1));
}

/** The engine will not start these again by itself (killed or stopped through its API, or never started). */
const STOPPED_STATES = new Set(['exited', 'created', 'dead']);

export const serviceKey = (project: string, service: string) => `${project}/${service}`;

const sameSet = (a: string[], b: string[]) =>
  a.length === b.length && [...a].sort().join(' ') === [...b].sort().join(' ');

export function decideHealing(input: HealInput): HealDecision {
  const actions: HealAction[] = [];
  const reports: ServiceReport[] = [];
  let settling = false;
  const { now } = input;
  for (const s of input.services) {
    const mine = input.containers.filter(
      (c) =>
        c.labels['roro.project'] === s.project &&
        c.labels['roro.service'] === s.service &&
        c.labels['roro.deploy'] === s.deployId,
    );
    const running = mine.filter((c) => c.state === 'running').length;
    const restarting = mine.filter((c) => c.state === 'restarting').length;
    if (s.deployRunning) {
      reports.push({ ...base(s, mine), status: 'deploying', running, ready: 0, restarting });
      continue;
    }
    const upstreams: string[] = [];
    for (const c of mine) {
      const upstream = c.hostPort
        ? upstreamOf({ hostPort: c.hostPort, hostAddress: c.hostAddress })
        : undefined;
      let m = input.containerMemory.get(c.id);
      if (!m) {
        // First sight (the healer just started): an instance the route already serves counts as ready.
        const routed = upstream !== undefined && s.routeUpstreams.includes(upstream);
        m = { ready: routed, failures: 0, starts: 0, nextStartAt: 0, ...(routed ? { readySince: now } : {}) };
        input.containerMemory.set(c.id, m);
      }
      if (c.state === 'running' && input.dying.has(c.id)) {
        m.ready = false;
        m.readySince = undefined;
      } else if (c.state === 'running' && upstream) {
        if (input.probes.get(c.id)) {
          m.failures = 0;
          m.ready = true;
          m.readySince ??= now;
          if (now - m.readySince >= STABLE_MS) m.starts = 0;
        } else {
          m.failures += 1;
          if (m.failures >= PROBE_FAILURES_TO_DROP) m.ready = false;
          if (!m.ready) m.readySince = undefined;
        }
      } else {
        m.ready = false;
        m.failures = 0;
        m.readySince = undefined;
        if (STOPPED_STATES.has(c.state) && now >= m.nextStartAt) {
          m.starts += 1;
          m.nextStartAt = now + startDelayMs(m.starts + 1);
          actions.push({
            kind: 'start',
            containerId: c.id,
            project: s.project,
            service: s.service,
            attempt: m.starts,
          });
        }
      }
      if (m.ready && upstream) upstreams.push(upstream);
      else settling = true;
    }
    const missing = Math.max(0, s.instances - mine.length);
    const key = serviceKey(s.project, s.service);
    if (missing > 0) {
      settling = true;
      const sm = input.serviceMemory.get(key) ?? { replacements: 0, nextReplaceAt: 0 };
      if (now >= sm.nextReplaceAt) {
        sm.replacements += 1;
        sm.nextReplaceAt = now + replaceDelayMs(sm.replacements);
        actions.push({
          kind: 'replace',
          projectId: s.projectId,
          project: s.project,
          service: s.service,
          missing,
          attempt: sm.replacements,
        });
      }
      input.serviceMemory.set(key, sm);
    } else if (upstreams.length >= s.instances) {
      input.serviceMemory.delete(key);
    }
    if (s.routeDeployId !== s.deployId || !sameSet(upstreams, s.routeUpstreams)) {
      actions.push({
        kind: 'route',
        projectId: s.projectId,
        project: s.project,
        service: s.service,
        deployId: s.deployId,
        upstreams: [...upstreams].sort(),
      });
    }
    const ready = upstreams.length;
    const status: ServiceHealth = ready >= s.instances ? 'running' : ready > 0 ? 'degraded' : 'down';
    reports.push({ ...base(s, mine), status, running, ready, restarting });
  }
  // Forget containers that are gone, so memory does not grow with every rollout.
  const seen = new Set(input.containers.map((c) => c.id));
  for (const id of input.containerMemory.keys()) if (!seen.has(id)) input.containerMemory.delete(id);
  return { actions, reports, settling };
}

function base(s: WantedService, mine: SeenContainer[]) {
  const healthPath = mine[0]?.labels['roro.health-path'];
  return {
    project: s.project,
    service: s.service,
    desired: s.instances,
    ...(healthPath ? { healthPath } : {}),
  };
}
