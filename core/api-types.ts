/** Shapes the API answers with and the CLI reads: one definition for both sides. */

export interface Job {
  id: string;
  status: 'running' | 'success' | 'failed' | 'cancelled';
  command: string[];
  size: string;
  task?: string;
  exitCode?: number;
  error?: string;
  attempt: number;
  release?: number;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  logDropped: number;
}

export interface JobLogLine {
  seq: number;
  ts: string;
  stream: string;
  line: string;
}

export interface TaskInfo {
  name: string;
  command: string;
  schedule: string;
  overlap: string;
  size?: string;
  nextRun?: string;
  lastRun?: string;
  lastJob?: string;
  lastStatus?: string;
  running: number;
  paused: boolean;
}

export interface Notebook {
  id: string;
  status: 'starting' | 'running' | 'stopped' | 'failed' | 'finished';
  app: 'lab' | 'notebook';
  size: string;
  /** The route's service name, `nb-<id>`. */
  service: string;
  error?: string;
  release?: number;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** Only while running, and only in answers about one notebook: the URL with `?token=`. */
  url?: string;
  /** The same session by host name (`<project>--nb-<id>.<domain>`), for browsers. */
  hostUrl?: string;
}
