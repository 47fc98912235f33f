/** How the supervisor starts, probes and stops one part of the embedded platform. */
export interface Component {
  name: string;
  /** Address shown by `roro server status`. */
  url: string;
  /** Port that must be free before start (skipped for external components). */
  port?: number;
  /** True when something outside the platform already provides it (a Docker socket, TEMPORAL_ADDRESS). */
  external?: () => Promise<boolean>;
  /** For an external one: answers once it can be used, and what to check when it does not. */
  externalReady?: { probe: () => Promise<boolean>; hint: string };
  /** One-time preparation before the first spawn (initdb, TLS, config files). */
  prepare?: () => Promise<void>;
  /** Log that takes the component's stdout instead of its own log (the gateway's access log). */
  stdoutLog?: string;
  /** Applied to its output, in whole lines, before a log gets it: what must never be written. */
  redact?: (text: string) => string;
  command: () => { cmd: string; args: string[]; uid?: number; gid?: number; env?: NodeJS.ProcessEnv };
  ready: () => Promise<boolean>;
  /** Runs once after the first successful readiness (create database, bootstrap admin). */
  afterReady?: () => Promise<void>;
  readyTimeoutMs: number;
  /** Runs once it has stopped at `roro server down` (never after a crash): removes what it leaves. */
  afterStop?: () => Promise<void>;
  /** Signal that asks for a fast clean shutdown. */
  stopSignal?: NodeJS.Signals;
  stopTimeoutMs?: number;
}

export type ComponentStatus = 'starting' | 'up' | 'restarting' | 'failed' | 'stopped' | 'external';

export interface SupervisorState {
  pid: number;
  status: 'starting' | 'up' | 'failed' | 'stopping';
  startedAt: string;
  components: {
    name: string;
    status: ComponentStatus;
    pid?: number;
    url: string;
    log: string;
    restarts: number;
  }[];
  failure?: { component: string; message: string; log: string };
  admin?: { email: string; passwordFile?: string; created: boolean };
}
