import type { Job, JobLogLine, Notebook, TaskInfo } from '../../core/api-types.js';

export type { Job, Notebook };
export type LogLine = JobLogLine;
export type Task = TaskInfo;

/** What the dashboard reads from the API (the fields it shows; the API's OpenAPI document has them all). */
export interface User {
  id: string;
  email: string;
  isAdmin: boolean;
  createdAt: string;
}
export interface Session {
  user: User;
  csrf: string;
  temporalUiUrl?: string;
}
export interface Project {
  name: string;
  owner: string;
  role: string;
  createdAt: string;
}
export interface Service {
  name: string;
  status: string;
  instances: number;
  url: string;
  running: number;
  ready: number;
  release: number | null;
  lastExit: { reason: string; at: string } | null;
}
export interface Release {
  version: number;
  kind: string;
  createdAt: string;
  createdBy?: string;
  current: boolean;
  rollbackOf?: number;
}
export interface Deploy {
  id: string;
  kind: string;
  status: string;
  version?: number;
  error?: string;
  service?: string;
  createdAt: string;
  finishedAt?: string;
}
export interface DeployEvent {
  seq: number;
  at: string;
  kind: string;
  message: string;
}
export interface ModelRepo {
  name: string;
  versions?: number;
  latest?: number;
}
export interface ModelVersion {
  repository: string;
  version: number;
  comment?: string;
  metadata: Record<string, string>;
  tags: string[];
  jobId: string | null;
  release: number | null;
  createdAt: string;
  size: number;
}
export interface VolumeEntry {
  name: string;
  type: string;
  size?: number;
}
