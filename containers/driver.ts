/**
 * The one interface every container operation goes through. The local driver talks to one Docker
 * engine; a cluster driver (Swarm, ...) can implement the same contract later without touching
 * the workflows or activities that use it.
 */

export interface MountSpec {
  /** Absolute path on the host. */
  source: string;
  /** Absolute path in the container, e.g. /volumes/data. */
  target: string;
  readOnly?: boolean;
  /**
   * A platform file the container can do without (the API's socket), not user data: a cluster
   * driver leaves it out where the container may run on a node that does not hold it.
   */
  optional?: boolean;
}

/**
 * A private bridge network: its containers reach each other and the internet (NAT), nothing on
 * any other network of the engine. Created on first use.
 */
export interface NetworkSpec {
  name: string;
  labels: Record<string, string>;
  /** IPv4 subnets (CIDR) to try in order; the first one free on the engine is taken. */
  subnets: string[];
}

export interface ContainerSpec {
  image: string;
  /** Container name; unique on the engine. */
  name: string;
  /** Command and arguments; the image's CMD when omitted. */
  cmd?: string[];
  env?: Record<string, string>;
  /** Always add roro.managed=true and roro.project so cleanup by label finds the container. */
  labels: Record<string, string>;
  workdir?: string;
  /** Container TCP port to publish on 127.0.0.1 with a free host port. */
  port?: number;
  mounts?: MountSpec[];
  limits: { cpus: number; memoryBytes: number };
  /** User inside the container; the runtime's `roro` (1000) when omitted. */
  user?: string;
  /**
   * What the engine does when the process exits: `no` (jobs, notebooks), or `unless-stopped`
   * (services): the engine restarts a crashed process itself, with its own growing back-off, and
   * again after the engine restarts. A container stopped or killed through the API stays down.
   */
  restart?: 'no' | 'unless-stopped';
  /** The network the container joins alone (no default bridge); created when missing. */
  network?: NetworkSpec;
  /**
   * Labels of the container's siblings (the other replicas of its service and release): a driver
   * of several machines places it on a machine none of them runs on, while one takes work.
   */
  spreadAmong?: Record<string, string>;
}

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerStatus {
  id: string;
  name: string;
  state: ContainerState;
  exitCode: number | undefined;
  oomKilled: boolean;
  hostPort: number | undefined;
  /** Where the gateway reaches hostPort: the IPv4 address of the container's node; loopback when absent. */
  hostAddress?: string;
  startedAt: string | undefined;
  finishedAt: string | undefined;
  /** How often the engine restarted the process under its restart policy. */
  restartCount: number;
  labels: Record<string, string>;
}

export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  state: string;
  /** The published host port of a running container. */
  hostPort?: number;
  /** Where the gateway reaches hostPort (see ContainerStatus); loopback when absent. */
  hostAddress?: string;
  labels: Record<string, string>;
}

/** A change in a container's life, as the engine reports it. */
export interface ContainerEvent {
  /** start, die, oom, kill, stop, destroy, restart, ... */
  action: string;
  id: string;
  labels: Record<string, string>;
  /** For `die`: the process's exit code. */
  exitCode?: number;
  /** Unix milliseconds. */
  at: number;
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  line: string;
  /** RFC 3339 timestamp from the engine, when asked for. */
  ts?: string;
}

export interface LogOptions {
  follow: boolean;
  timestamps?: boolean;
  /** Unix seconds or an RFC 3339 time: only lines after it. */
  since?: number | string;
  /** Last N lines only. */
  tail?: number;
  signal?: AbortSignal;
}

export interface ContainerDriver {
  /**
   * Creates and starts a container; resolves once it runs, with the published host port and, when
   * it is not this host's loopback, the address it is published at.
   */
  run(spec: ContainerSpec): Promise<{ id: string; hostPort?: number; hostAddress?: string }>;
  /** SIGTERM, then SIGKILL after graceSeconds. Stopping a stopped container is not an error. */
  stop(id: string, graceSeconds: number): Promise<void>;
  /** Removes the container (forcibly); removing a missing one is not an error. */
  remove(id: string): Promise<void>;
  /** Throws NotFoundError when there is no such container. */
  inspect(id: string): Promise<ContainerStatus>;
  /** Containers, running or not, that carry every one of the labels. */
  list(labels: Record<string, string>): Promise<ContainerSummary[]>;
  logs(id: string, opts: LogOptions): AsyncIterable<LogLine>;
  /** Resolves when the container exits, with its exit code. */
  wait(id: string): Promise<{ exitCode: number }>;
  /** Starts an existing, stopped container again; starting a running one is not an error. */
  start(id: string): Promise<void>;
  /**
   * Life events of containers carrying every one of the labels, until the signal aborts or the
   * engine goes away (the iterator then ends or throws; callers reconnect).
   */
  events(labels: Record<string, string>, signal: AbortSignal): AsyncIterable<ContainerEvent>;
  /** Removes the networks carrying every one of the labels; their containers must be gone. */
  removeNetworks(labels: Record<string, string>): Promise<number>;
}
