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
