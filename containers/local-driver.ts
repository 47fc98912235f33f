import type Docker from 'dockerode';
import { NotFoundError } from '../core/errors.js';
import type {
  ContainerDriver,
  ContainerEvent,
  ContainerSpec,
  ContainerState,
  ContainerStatus,
  ContainerSummary,
  LogLine,
  LogOptions,
} from './driver.js';
import { demuxLines, once } from './logs.js';
import { refuseEngineSocket } from './mount-guard.js';
import { ensureNetwork, removeNetworks } from './local-networks.js';
import { dockerCreateOptions } from './local-create-options.js';
import { HOST_PORT_MAX, HOST_PORT_MIN, pickHostPort, portInUse, takenHostPorts } from './host-ports.js';

function statusCode(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'statusCode' in err ? Number(err.statusCode) : undefined;
}

/**
 * Runs containers on one Docker engine, each created from its spec by `dockerCreateOptions`,
 * locked down the same way, and never given the engine's socket.
 */
export class LocalDockerDriver implements ContainerDriver {
  constructor(private readonly docker: Docker) {}

  async run(spec: ContainerSpec): Promise<{ id: string; hostPort?: number }> {
    refuseEngineSocket(spec);
    if (spec.network) await ensureNetwork(this.docker, spec.network);
    const create = (hostPort: number | undefined) =>
      this.docker.createContainer(dockerCreateOptions(spec, hostPort));
    const container = await this.createAndStart(spec.port !== undefined, create);
    const status = await this.inspect(container.id);
    return status.hostPort === undefined
      ? { id: container.id }
      : { id: container.id, hostPort: status.hostPort };
  }

  /**
   * Creates and starts the container, on a host port of roro's choosing when it publishes one; a port
   * taken meanwhile (another platform on the engine, a host process) is given up for the next.
   */
  private async createAndStart(
    publishes: boolean,
    create: (hostPort: number | undefined) => Promise<Docker.Container>,
  ): Promise<Docker.Container> {
    const taken = publishes ? await takenHostPorts(this.docker) : new Set<number>();
    for (let attempt = 1; ; attempt++) {
      const hostPort = publishes ? pickHostPort(taken) : undefined;
      if (publishes && hostPort === undefined) {
        throw new Error(
          `No free host port between ${HOST_PORT_MIN} and ${HOST_PORT_MAX}: remove unused containers.`,
        );
      }
      const container = await create(hostPort);
      try {
        await container.start();
        return container;
      } catch (err) {
        await container.remove({ force: true }).catch(() => undefined);
        if (!publishes || !portInUse(err) || attempt >= 8) throw err;
        taken.add(hostPort!);
      }
    }
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: Math.max(0, Math.round(graceSeconds)) });
    } catch (err) {
      // 304: already stopped; 404: already gone. Both are the state the caller wants.
      if (statusCode(err) !== 304 && statusCode(err) !== 404) throw err;
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (err) {
      // 409: removal already in progress.
      if (statusCode(err) !== 404 && statusCode(err) !== 409) throw err;
    }
  }

  async inspect(id: string): Promise<ContainerStatus> {
    let info: Docker.ContainerInspectInfo;
    try {
      info = await this.docker.getContainer(id).inspect();
    } catch (err) {
      if (statusCode(err) === 404) throw new NotFoundError(`Container ${id} does not exist.`);
      throw err;
    }
    const ports = info.NetworkSettings?.Ports ?? {};
    const binding = Object.values(ports).find((b) => Array.isArray(b) && b.length > 0)?.[0];
    // While the engine waits to restart a crashed process it reports Running and Restarting both.
    const running = info.State.Running && !info.State.Restarting;
    const time = (t: string | undefined) => (t && !t.startsWith('0001-') ? t : undefined);
    return {
      id: info.Id,
      name: info.Name.replace(/^\//, ''),
      state: info.State.Status as ContainerState,
      exitCode: running ? undefined : info.State.ExitCode,
      oomKilled: info.State.OOMKilled,
      hostPort: binding?.HostPort ? Number(binding.HostPort) : undefined,
      startedAt: time(info.State.StartedAt),
      finishedAt: time(info.State.FinishedAt),
      restartCount: info.RestartCount ?? 0,
      labels: info.Config.Labels ?? {},
    };
  }

  async list(labels: Record<string, string>): Promise<ContainerSummary[]> {
    const label = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
    const found = await this.docker.listContainers({ all: true, filters: { label } });
    return found.map((c) => {
      const published = (c.Ports ?? []).find((p) => p.PublicPort && p.Type === 'tcp');
      return {
        id: c.Id,
        name: (c.Names[0] ?? '').replace(/^\//, ''),
        image: c.Image,
        state: c.State,
        ...(published ? { hostPort: published.PublicPort } : {}),
        labels: c.Labels ?? {},
      };
    });
  }

  async *logs(id: string, opts: LogOptions): AsyncIterable<LogLine> {
    const container = this.docker.getContainer(id);
    const base = {
      stdout: true,
      stderr: true,
      timestamps: opts.timestamps === true,
      since: opts.since,
      tail: opts.tail,
    };
    if (!opts.follow) {
      const buffer = (await container.logs({ ...base, follow: false })) as unknown as Buffer;
      yield* demuxLines(once(buffer), opts);
      return;
    }
    const stream = (await container.logs({ ...base, follow: true })) as unknown as NodeJS.ReadableStream & {
      destroy(): void;
    };
    const onAbort = () => stream.destroy();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      yield* demuxLines(stream as AsyncIterable<Buffer>, opts);
    } catch (err) {
      if (!opts.signal?.aborted) throw err;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      stream.destroy();
    }
  }

  async start(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (err) {
      // 304: already running.
      if (statusCode(err) !== 304) throw err;
    }
  }

  async *events(labels: Record<string, string>, signal: AbortSignal): AsyncIterable<ContainerEvent> {
    const label = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
    const stream = (await this.docker.getEvents({
      filters: { type: ['container'], label },
    })) as unknown as NodeJS.ReadableStream & { destroy(): void };
    const onAbort = () => stream.destroy();
    signal.addEventListener('abort', onAbort, { once: true });
    let pending = '';
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        pending += chunk.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.trim()) continue;
          const e = JSON.parse(line) as {
            Action?: string;
            id?: string;
            timeNano?: number;
            Actor?: { ID?: string; Attributes?: Record<string, string> };
          };
          const attrs = e.Actor?.Attributes ?? {};
          const exitCode = attrs.exitCode === undefined ? undefined : Number(attrs.exitCode);
          yield {
            action: (e.Action ?? '').split(':')[0]!,
            id: e.Actor?.ID ?? e.id ?? '',
            labels: attrs,
            ...(exitCode === undefined ? {} : { exitCode }),
            at: e.timeNano ? Math.floor(e.timeNano / 1e6) : Date.now(),
          };
        }
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
      stream.destroy();
    }
  }

  removeNetworks(labels: Record<string, string>): Promise<number> {
    return removeNetworks(this.docker, labels);
  }

  async wait(id: string): Promise<{ exitCode: number }> {
    const result = (await this.docker.getContainer(id).wait()) as { StatusCode: number };
    return { exitCode: result.StatusCode };
  }
}
