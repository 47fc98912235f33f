import fs from 'node:fs';
import path from 'node:path';
import { homePaths } from '../core/config.js';
import type { SupervisorState } from './component.js';

export function statePath(home: string): string {
  return path.join(homePaths(home).run, 'supervisor.json');
}

export function supervisorPidPath(home: string): string {
  return path.join(homePaths(home).run, 'supervisor.pid');
}

/** Written atomically so a reader never sees half a file. */
export function writeState(home: string, state: SupervisorState): void {
  const file = statePath(home);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2));
  fs.renameSync(tmp, file);
}

export function readState(home: string): SupervisorState | undefined {
  try {
    return JSON.parse(fs.readFileSync(statePath(home), 'utf8')) as SupervisorState;
  } catch {
    return undefined;
  }
}
