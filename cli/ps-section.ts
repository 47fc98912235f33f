import type { ApiClient } from './client.js';

/** The options of `roro ps` that every section reads. */
export interface PsOptions {
  project?: string;
  all?: boolean;
  json?: boolean;
  url?: string;
}

/**
 * One block of `roro ps` output. Services are the first; jobs are appended to PS_SECTIONS as another
 * section (key `jobs`, columns JOBID, STATUS, WHEN, TIME, SIZE, CMD) without touching the rest.
 */
export interface PsSection {
  /** The key of this section's list in `--json` output. */
  key: string;
  load(
    client: ApiClient,
    project: string,
    opts: PsOptions,
  ): Promise<{ items: unknown[]; headers: string[]; rows: string[][] }>;
  /** Shown instead of the table when the list is empty. */
  empty(project: string): string;
}
