import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { NotFoundError, RoroError } from '../core/errors.js';
import type {
  ContainerDriver,
  ContainerEvent,
  ContainerSpec,
  ContainerStatus,
  ContainerSummary,
  LogLine,
  LogOptions,
} from './driver.js';
import { HOST_PORT_LABEL, HOST_PORT_MAX, HOST_PORT_MIN, pickHostPort, takenHostPorts } from './host-ports.js';
import { inspectOrGone } from './inspect-or-gone.js';
import { LocalDockerDriver } from './local-driver.js';
import { ensureNetwork } from './local-networks.js';
import { demuxLines, fixedNanos, once, sinceParam } from './logs.js';
import { refuseEngineSocket } from './mount-guard.js';
import { registryAuth, type RegistryLogin } from './registry-push.js';
import { routingMeshAvailable } from './routing-mesh.js';
import { nodeReach, spreadConstraints, withoutSpread, type NodeView } from './swarm-nodes.js';
import { imageFromRegistry, pinnedToManager, swarmServiceOptions } from './swarm-service-options.js';
import {
  newestTask,
  serviceState,
  taskExitCode,
  taskRan,
  taskRefused,
  type SwarmTask,
} from './swarm-tasks.js';

/**
 * How long a new service may wait for a node to run it (placement, image, start) before it is given
 * up; shorter than the 2 minutes of the activities that start jobs and notebooks, so a retry never
 * meets a service that a timed-out attempt is about to remove.
 */
const RUN_TIMEOUT_MS = 100_000;
/** Swarm's reasons for a task whose image no node has. */
const NO_IMAGE = /no such image|not found|pull access denied|repository does not exist/i;
/** How often a task's state and a followed log are read again. */
const POLL_MS = 500;
/**
 * How long a replica kept off its siblings' nodes may wait for a place there before the rule is
 * dropped and Swarm places it anywhere (the other nodes may lack the room).
 */
const SPREAD_WAIT_MS = 20_000;

interface SwarmService {
  ID: string;
  Version: { Index: number };
  Spec: Docker.ServiceSpec & { Name?: string; Labels?: Record<string, string> };
  Endpoint?: { Ports?: { PublishedPort?: number }[] };
}

function statusCode(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'statusCode' in err ? Number(err.statusCode) : undefined;
}

function engineMessage(err: unknown): string {
  return (err as { json?: { message?: string } }).json?.message ?? (err as Error).message;
}

/** Swarm's refusal when another service publishes the port. */
function portTaken(err: unknown): boolean {
  return /port '?\d+'? is already in use|port is already allocated|address already in use/i.test(
    engineMessage(err),
  );
}

/**
 * Runs each roro container as a Docker Swarm service of one replica (swarmServiceOptions), on the
 * engine of a Swarm manager: the driver of cluster mode. A container's id is its service's id; its
 * state, exit code and logs are those of the service's newest task, wherever Swarm placed it.
 * Engine events and OOM kills are read from the manager's own engine, so they cover the tasks that
 * run there (every task that mounts a volume).
 */
export class SwarmDriver implements ContainerDriver {
  private readonly local: LocalDockerDriver;
  private managerNodeId: string | undefined;

  /**
   * `registryLogin` gives the nodes' registry login, read at each create: a task placed on a worker
   * is pulled by that worker's engine with the credentials stored with its service, never with a
   * `docker login` of the host.
   */
  constructor(
    private readonly docker: Docker,
    private readonly registryLogin: () => RegistryLogin | undefined = () => undefined,
  ) {
    this.local = new LocalDockerDriver(docker);
  }

  private async manager(): Promise<string> {
    if (this.managerNodeId) return this.managerNodeId;
    const info = (await this.docker.info()) as { Swarm?: { NodeID?: string; ControlAvailable?: boolean } };
    if (!info.Swarm?.NodeID || info.Swarm.ControlAvailable !== true) {
      throw new RoroError('The platform is in cluster mode but its Docker engine is not a Swarm manager.', {
        status: 503,
        code: 'unavailable',
        hint: 'Start the platform with `roro server up --cluster`, which makes the engine a manager again.',
      });
    }
    return (this.managerNodeId = info.Swarm.NodeID);
  }

  async run(spec: ContainerSpec): Promise<{ id: string; hostPort?: number; hostAddress?: string }> {
    refuseEngineSocket(spec);
    await this.refuseMissingLocalImage(spec.image);
    const managerNodeId = await this.manager();
    const routingMesh = routingMeshAvailable();
    const avoid =
      spec.spreadAmong && !pinnedToManager(spec)
        ? spreadConstraints(await this.nodes(), await this.siblingNodes(spec.spreadAmong))
        : [];
    if (spec.network) await ensureNetwork(this.docker, spec.network, 'overlay');
    const publishes = spec.port !== undefined;
    const taken = publishes ? await this.takenPorts() : new Set<number>();
    for (let attempt = 1; ; attempt++) {
      const hostPort = publishes ? pickHostPort(taken) : undefined;
      if (publishes && hostPort === undefined) {
        throw new Error(
          `No free host port between ${HOST_PORT_MIN} and ${HOST_PORT_MAX}: remove unused services.`,
        );
      }
      let id: string;
      try {
        const options = swarmServiceOptions(spec, hostPort, { managerNodeId, routingMesh, avoid });
        const login = this.registryLogin();
        const created = (await (login
          ? this.docker.createService(registryAuth(login), options)
          : this.docker.createService(options))) as unknown as { id?: string; ID?: string };
        id = created.id ?? created.ID ?? spec.name;
      } catch (err) {
        if (!publishes || !portTaken(err) || attempt >= 8) throw err;
        taken.add(hostPort!);
        continue;
      }
      const spread = avoid.length > 0;
      const ran = await this.untilRan(id, spec.name, spec.restart === 'unless-stopped', new Set(), {
        afterMs: spread ? SPREAD_WAIT_MS : undefined,
        then: () => this.dropSpread(id),
      });
      // Placed: the rule has done its work, and must not keep the task from moving later (a drain,
      // a lost node). Swarm leaves a running task in place when only its constraints change. The
      // replica runs and serves either way: a failure here only leaves it less free to move.
      if (spread) await this.dropSpread(id).catch(() => undefined);
      if (hostPort === undefined) return { id };
      if (routingMesh) return { id, hostPort };
      const at = nodeReach(ran.NodeID, await this.nodes(), managerNodeId);
      if (!at.reachable) {
        await this.remove(id);
        throw new RoroError(
          `Swarm placed ${spec.name} on node ${ran.NodeID}, which reports no IPv4 address the gateway can reach.`,
          {
            code: 'container_not_started',
            hint: 'Rejoin that node with `docker swarm join --advertise-addr <its IPv4 address> ...`, or drain it (`roro nodes:drain`).',
          },
        );
      }
      return at.address ? { id, hostPort, hostAddress: at.address } : { id, hostPort };
    }
  }

  private async nodes(): Promise<NodeView[]> {
    return (await this.docker.listNodes()) as NodeView[];
  }

  /** The nodes on which the services carrying these labels have a task that runs or is coming up. */
  private async siblingNodes(labels: Record<string, string>): Promise<Set<string>> {
    const label = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
    const services = (await this.docker.listServices({ filters: { label } })) as SwarmService[];
    if (services.length === 0) return new Set();
    const tasks = (await this.docker.listTasks({
      filters: { service: services.map((s) => s.ID), 'desired-state': ['running'] },
    })) as SwarmTask[];
    return new Set(tasks.flatMap((t) => (t.NodeID ? [t.NodeID] : [])));
  }

  /** Takes the spreading constraints off the service; its running task stays where it is. */
  private async dropSpread(id: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const svc = await this.service(id);
      const template = svc.Spec.TaskTemplate as Docker.ContainerTaskSpec;
      const constraints = template.Placement?.Constraints ?? [];
      const kept = withoutSpread(constraints);
      if (kept.length === constraints.length) return;
      try {
        await this.docker.getService(svc.ID).update({
          version: svc.Version.Index,
          ...svc.Spec,
          TaskTemplate: { ...template, Placement: { ...template.Placement, Constraints: kept } },
        });
        return;
      } catch (err) {
        if (statusCode(err) === 404) return;
        if (attempt >= 5 || !/update out of sequence/i.test(engineMessage(err))) throw err;
      }
    }
  }

  /**
   * An image named without a registry (`roro/base:bookworm`) exists on the manager's engine or
   * nowhere: answered at once with 404, as the local driver's engine does, instead of a task that
   * waits for a pull from a registry that is not there (the health canary before the first build).
   */
  private async refuseMissingLocalImage(image: string): Promise<void> {
    if (imageFromRegistry(image)) return;
    try {
      await this.docker.getImage(image).inspect();
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
      throw Object.assign(
        new RoroError(`No such image ${image} on the manager's engine.`, {
          code: 'container_not_started',
          hint: 'Deploy the project again: a build makes its image.',
        }),
        { statusCode: 404 },
      );
    }
  }

  /** Ports held by containers of the manager's engine and by every service's routing mesh. */
  private async takenPorts(): Promise<Set<number>> {
    const taken = await takenHostPorts(this.docker);
    for (const s of (await this.docker.listServices()) as SwarmService[]) {
      for (const p of s.Endpoint?.Ports ?? []) if (p.PublishedPort) taken.add(p.PublishedPort);
      const claimed = Number(s.Spec.Labels?.[HOST_PORT_LABEL]);
      if (Number.isInteger(claimed) && claimed > 0) taken.add(claimed);
    }
    return taken;
  }

  /**
   * Resolves once the service's task runs (or ran), with that task; a task Swarm cannot place or
   * start is an error. `slow.then` runs once if no task ran within `slow.afterMs`.
   */
  private async untilRan(
    id: string,
    name: string,
    restarts: boolean,
    earlier: ReadonlySet<string> = new Set<string>(),
    slow: { afterMs?: number; then?: () => Promise<void> } = {},
  ): Promise<SwarmTask> {
    const begun = Date.now();
    const deadline = begun + RUN_TIMEOUT_MS;
    let last: SwarmTask | undefined;
    let slowDone = slow.afterMs === undefined;
    while (Date.now() < deadline) {
      const tasks = (await this.tasks(id)).filter((t) => !earlier.has(t.ID));
      const ran = newestTask(tasks.filter(taskRan));
      if (ran) return ran;
      last = newestTask(tasks);
      const refused = last && taskRefused(last);
      // Kept off some nodes, a task the others refuse (no room, no image, no trust in the registry)
      // is free to go anywhere, as it would have been without the rule: its refusals so far count
      // for nothing.
      if (!slowDone && (refused || Date.now() - begun >= slow.afterMs!)) {
        slowDone = true;
        await slow.then?.();
        if (refused) {
          earlier = new Set([...earlier, ...tasks.map((t) => t.ID)]);
          continue;
        }
      }
      // Swarm tries a refused task of a restarting service again, maybe on another node; a
      // one-shot task is not tried again.
      if (refused && (!restarts || tasks.length >= 3)) {
        await this.remove(id);
        const err = new RoroError(`Swarm could not start ${name}: ${refused}.`, {
          code: 'container_not_started',
          hint: 'See `roro nodes` (a node may lack the image or the room); the platform log has the details.',
        });
        // As the local driver's engine answers for an image it does not have.
        throw NO_IMAGE.test(refused) ? Object.assign(err, { statusCode: 404 }) : err;
      }
      await sleep(POLL_MS);
    }
    await this.remove(id);
    const why = last?.Status?.Err || last?.Status?.Message || last?.Status?.State || 'no task was made';
    throw new RoroError(`Swarm did not start ${name} within ${RUN_TIMEOUT_MS / 1000} s: ${why}.`, {
      code: 'container_not_started',
      hint: 'A size larger than any node has room for stays pending: see `roro nodes`, use a smaller size or add a node.',
    });
  }

  private async service(id: string): Promise<SwarmService> {
    try {
      return (await this.docker.getService(id).inspect()) as SwarmService;
    } catch (err) {
      if (statusCode(err) === 404) throw new NotFoundError(`Container ${id} does not exist.`);
      throw err;
    }
  }

  private async tasks(serviceId: string): Promise<SwarmTask[]> {
    return (await this.docker.listTasks({ filters: { service: [serviceId] } })) as SwarmTask[];
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    let svc: SwarmService;
    try {
      svc = await this.service(id);
    } catch (err) {
      if (err instanceof NotFoundError) return;
      throw err;
    }
    // A one-shot task (a job, a notebook) on the manager is stopped in its container: the task then
    // ends as if its process had, and its container and logs stay for the last read. Scaling to
    // zero would have Swarm remove the container, last lines and all.
    const policy = (svc.Spec.TaskTemplate as Docker.ContainerTaskSpec | undefined)?.RestartPolicy;
    if (policy?.Condition === 'none') {
      const local = await this.managerContainer(svc.ID);
      if (local) {
        await this.local.stop(local, graceSeconds);
        return;
      }
    }
    await this.scale(svc, 0);
    // Swarm sends SIGTERM and, after the service's own grace period, SIGKILL; a process on the
    // manager that outlives ours is killed here.
    const deadline = Date.now() + Math.max(0, graceSeconds) * 1000;
    for (;;) {
      const running = (await this.tasks(svc.ID)).filter((t) => t.Status?.State === 'running');
      if (running.length === 0) return;
      if (Date.now() >= deadline) {
        for (const t of running) {
          const cid = t.Status?.ContainerStatus?.ContainerID;
          if (cid)
            await this.docker
              .getContainer(cid)
              .kill()
              .catch(() => undefined);
        }
        if (Date.now() >= deadline + 30_000) return;
      }
      await sleep(POLL_MS);
    }
  }

  /** Sets the service's replicas; a change under way by another caller is read again and retried. */
  private async scale(svc: SwarmService, replicas: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (svc.Spec.Mode?.Replicated?.Replicas === replicas) return;
      try {
        await this.docker
          .getService(svc.ID)
          .update({ version: svc.Version.Index, ...svc.Spec, Mode: { Replicated: { Replicas: replicas } } });
        return;
      } catch (err) {
        if (statusCode(err) === 404) return;
        if (attempt >= 5 || !/update out of sequence/i.test(engineMessage(err))) throw err;
        svc = await this.service(svc.ID);
      }
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.docker.getService(id).remove();
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
  }

  async inspect(id: string): Promise<ContainerStatus> {
    const svc = await this.service(id);
    const tasks = await this.tasks(svc.ID);
    const newest = newestTask(tasks);
    const crashes = tasks.filter((t) => t !== newest && t.Status?.State === 'failed').length;
    const state = serviceState(newest, crashes, svc.Spec.Mode?.Replicated?.Replicas ?? 0);
    const local = await this.taskContainer(newest);
    const stamp = newest?.Status?.Timestamp;
    const published = svc.Endpoint?.Ports?.find((p) => p.PublishedPort)?.PublishedPort;
    const port = published ?? (Number(svc.Spec.Labels?.[HOST_PORT_LABEL]) || undefined);
    const at =
      port && !routingMeshAvailable()
        ? nodeReach(newest?.NodeID, await this.nodes(), await this.manager())
        : { reachable: true };
    const hostPort = at.reachable ? port : undefined;
    const hostAddress = at.address;
    return {
      id: svc.ID,
      name: svc.Spec.Name ?? id,
      state,
      exitCode: taskExitCode(newest),
      oomKilled: local?.State.OOMKilled === true,
      hostPort,
      ...(hostAddress ? { hostAddress } : {}),
      startedAt: local?.State.StartedAt ?? (state === 'running' ? stamp : undefined),
      finishedAt: state === 'exited' || state === 'dead' ? (local?.State.FinishedAt ?? stamp) : undefined,
      restartCount: crashes,
      labels: svc.Spec.Labels ?? {},
    };
  }

  /** The task's container when it runs on the manager's engine (which knows its OOM kill and times). */
  private async taskContainer(task: SwarmTask | undefined): Promise<Docker.ContainerInspectInfo | undefined> {
    const cid = task?.Status?.ContainerStatus?.ContainerID;
    if (!cid) return undefined;
    const info = await this.docker
      .getContainer(cid)
      .inspect()
      .catch(() => undefined);
    if (!info) return undefined;
    const time = (t: string | undefined) => (t && !t.startsWith('0001-') ? t : undefined);
    return {
      ...info,
      State: {
        ...info.State,
        StartedAt: time(info.State.StartedAt)!,
        FinishedAt: time(info.State.FinishedAt)!,
      },
    };
  }

  async list(labels: Record<string, string>): Promise<ContainerSummary[]> {
    const label = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
    const services = (await this.docker.listServices({ filters: { label } })) as SwarmService[];
    if (services.length === 0) return [];
    const byService = new Map<string, SwarmTask[]>();
    const mesh = routingMeshAvailable();
    const nodes = mesh ? [] : await this.nodes();
    const managerNodeId = mesh ? '' : await this.manager();
    for (const t of (await this.docker.listTasks()) as SwarmTask[]) {
      if (!t.ServiceID) continue;
      byService.set(t.ServiceID, [...(byService.get(t.ServiceID) ?? []), t]);
    }
    return services.map((s) => {
      const tasks = byService.get(s.ID) ?? [];
      const newest = newestTask(tasks);
      const crashes = tasks.filter((t) => t !== newest && t.Status?.State === 'failed').length;
      const state = serviceState(newest, crashes, s.Spec.Mode?.Replicated?.Replicas ?? 0);
      const published = s.Endpoint?.Ports?.find((p) => p.PublishedPort)?.PublishedPort;
      const image = (s.Spec.TaskTemplate as Docker.ContainerTaskSpec | undefined)?.ContainerSpec?.Image ?? '';
      const at = mesh ? { reachable: true } : nodeReach(newest?.NodeID, nodes, managerNodeId);
      const routable = published && state === 'running' && at.reachable;
      return {
        id: s.ID,
        name: s.Spec.Name ?? s.ID,
        image,
        state,
        ...(routable ? { hostPort: published } : {}),
        ...(routable && at.address ? { hostAddress: at.address } : {}),
        labels: s.Spec.Labels ?? {},
      };
    });
  }

  /**
   * The service's output, from every node its tasks ran on. A followed log is read again every
   * POLL_MS after the last line's time, and ends once the task has ended and its last lines are in:
   * the engine's own follow of a service never ends.
   */
  /** The container of the service's newest task when it is on the manager's engine. */
  private async managerContainer(id: string): Promise<string | undefined> {
    const cid = newestTask(await this.tasks(id))?.Status?.ContainerStatus?.ContainerID;
    if (!cid) return undefined;
    return (await inspectOrGone(this.local, cid)) ? cid : undefined;
  }

  async *logs(id: string, opts: LogOptions): AsyncIterable<LogLine> {
    const service = this.docker.getService(id);
    const read = async (since: number | string | undefined, tail: number | undefined) => {
      // A task that ran on the manager is read from its own container: Swarm's log broker may answer
      // a read made just after the task ended without its last lines (a job's "got SIGTERM").
      const local = await this.managerContainer(id).catch(() => undefined);
      if (local) {
        const lines: LogLine[] = [];
        for await (const l of this.local.logs(local, { follow: false, timestamps: true, since, tail }))
          lines.push(l);
        return lines;
      }
      const buffer = (await service.logs({
        stdout: true,
        stderr: true,
        follow: false,
        timestamps: true,
        ...(since === undefined ? {} : { since: since as number }),
        ...(tail === undefined ? {} : { tail }),
      })) as unknown as Buffer | string;
      const lines: LogLine[] = [];
      const chunk = typeof buffer === 'string' ? Buffer.from(buffer, 'binary') : buffer;
      for await (const l of demuxLines(once(chunk), { timestamps: true })) lines.push(l);
      return lines;
    };
    const strip = (l: LogLine): LogLine =>
      opts.timestamps === true ? l : { stream: l.stream, line: l.line };
    let last: string | undefined;
    let first = true;
    for (;;) {
      const ended = opts.follow ? await this.ended(id) : true;
      const lines = await read(
        // Until a first line came, every read starts where the caller asked.
        first ? opts.since : last ? sinceParam(last) : opts.since,
        first ? opts.tail : undefined,
      );
      first = false;
      for (const l of lines) {
        const ts = l.ts ? fixedNanos(l.ts) : undefined;
        if (last && ts && ts <= last) continue;
        if (ts) last = ts;
        yield strip(l);
      }
      if (ended || opts.signal?.aborted) return;
      await sleep(POLL_MS);
      if (opts.signal?.aborted) return;
    }
  }

  /** True when the service is gone or its newest task will not run again. */
  private async ended(id: string): Promise<boolean> {
    try {
      const st = await this.inspect(id);
      return st.state === 'exited' || st.state === 'dead';
    } catch (err) {
      if (err instanceof NotFoundError) return true;
      throw err;
    }
  }

  async wait(id: string): Promise<{ exitCode: number }> {
    for (;;) {
      const st = await this.inspect(id);
      if (st.state === 'exited' || st.state === 'dead') return { exitCode: st.exitCode ?? -1 };
      await sleep(POLL_MS);
    }
  }

  async start(id: string): Promise<void> {
    let svc = await this.service(id);
    if ((svc.Spec.Mode?.Replicated?.Replicas ?? 0) > 0) {
      // A one-shot task that ended stays ended at one replica: scale through zero to run it again.
      const st = await this.inspect(svc.ID);
      if (st.state !== 'exited' && st.state !== 'dead') return;
      await this.scale(svc, 0);
      svc = await this.service(svc.ID);
    }
    // The service's earlier tasks ran already: only a task made by this start tells that it runs.
    const earlier = new Set((await this.tasks(svc.ID)).map((t) => t.ID));
    await this.scale(svc, 1);
    const policy = (svc.Spec.TaskTemplate as Docker.ContainerTaskSpec | undefined)?.RestartPolicy;
    await this.untilRan(svc.ID, svc.Spec.Name ?? id, policy?.Condition === 'any', earlier);
  }

  /**
   * The manager engine's container events for the tasks it runs, each named by its service's id
   * (the id callers hold).
   */
  async *events(labels: Record<string, string>, signal: AbortSignal): AsyncIterable<ContainerEvent> {
    for await (const e of this.local.events(labels, signal)) {
      const service = e.labels['com.docker.swarm.service.id'];
      yield service ? { ...e, id: service } : e;
    }
  }

  removeNetworks(labels: Record<string, string>): Promise<number> {
    return this.local.removeNetworks(labels);
  }
}
