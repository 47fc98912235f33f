/**
 * The operations of the matrix on one project: how each starts, which workflow carries it, what
 * drives it to its end (a notebook is stopped once it runs) and what its row says at the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { packProject } from '../../core/archive/index.js';
import { fixtureProject } from '../../test/helpers/deploy.js';
import type { Operation } from './matrix.js';
import { retrying, sleep, type Session } from './session.js';

/** The task a scheduled run triggers: a few lines over a few seconds, and due only at night. */
export const TASK = 'tick';
const SCRIPT = 'import time; [print(i, flush=True) or time.sleep(0.5) for i in range(6)]';
const JOB_COMMAND = ['python', '-c', SCRIPT];

/** The hello fixture under `project`, with two instances (so one instance's churn is not an outage) and the task. */
export function writeProject(project: string, version: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `roro-faults-${project}-`));
  fs.cpSync(fixtureProject('hello'), dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'roro.yml'),
    [
      `project: ${project}`,
      'runtime: python3',
      'services:',
      '  - name: default',
      '    function: greet.hello',
      '    replicas: 2',
      'tasks:',
      `  - name: ${TASK}`,
      `    command: ${JSON.stringify(`python -c "${SCRIPT}"`)}`,
      '    when: every day at 03:00',
      '',
    ].join('\n'),
  );
  const greet = path.join(dir, 'greet.py');
  fs.writeFileSync(
    greet,
    fs.readFileSync(greet, 'utf8').replace(/^VERSION = .*$/m, `VERSION = "${version}"`),
  );
  return dir;
}

/** What one run of an operation is: its row and its workflow. */
export interface OperationRun {
  kind: Operation;
  /** The row's id (deploys, jobs or notebooks). */
  id: string;
  workflowId: string;
}

export const EXPECTED: Record<Operation, string> = {
  deploy: 'succeeded',
  rollback: 'succeeded',
  job: 'success',
  scheduled: 'success',
  notebook: 'stopped',
};

export class Operations {
  private round = 0;
  constructor(
    private readonly s: Session,
    readonly project: string,
    readonly projectId: string,
  ) {}

  private base = () => `/v1/projects/${this.project}`;

  /** Uploads a new version of the code (so the deploy builds) and returns the deploy's row. */
  async deploy(): Promise<OperationRun> {
    const dir = writeProject(this.project, `r${++this.round}`);
    const packed = await packProject(dir);
    try {
      const data = fs.readFileSync(packed.file);
      const r = await retrying('starting a deploy', async () => {
        const res = await fetch(`${this.s.env.apiUrl}${this.base()}/deploys`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${this.s.token}`,
            'content-type': 'application/gzip',
            'x-roro-sha256': packed.sha256,
          },
          body: new Uint8Array(data),
          signal: AbortSignal.timeout(60_000),
        });
        const body = (await res.json()) as { deploy?: { id: string } };
        if (res.status !== 202 || !body.deploy)
          throw new Error(`deploy answered ${res.status}: ${JSON.stringify(body)}`);
        return body.deploy.id;
      });
      return { kind: 'deploy', id: r, workflowId: `deploy:${this.project}` };
    } finally {
      fs.rmSync(packed.file, { force: true });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  async start(op: Operation): Promise<OperationRun> {
    switch (op) {
      case 'deploy':
        return this.deploy();
      case 'rollback': {
        const body = await this.s.apiOk<{ deploy: { id: string } }>(
          'POST',
          `${this.base()}/rollbacks`,
          202,
          {},
        );
        return { kind: op, id: body.deploy.id, workflowId: `deploy:${this.project}` };
      }
      case 'job': {
        const body = await this.s.apiOk<{ job: { id: string } }>('POST', `${this.base()}/jobs`, 202, {
          command: JOB_COMMAND,
        });
        return { kind: op, id: body.job.id, workflowId: await this.workflowOf('jobs', body.job.id) };
      }
      case 'scheduled':
        return this.triggerTask();
      case 'notebook': {
        const body = await this.s.apiOk<{ notebook: { id: string } }>(
          'POST',
          `${this.base()}/notebooks`,
          202,
          {},
        );
        return {
          kind: op,
          id: body.notebook.id,
          workflowId: await this.workflowOf('notebooks', body.notebook.id),
        };
      }
    }
  }

  private async workflowOf(table: 'jobs' | 'notebooks', id: string): Promise<string> {
    const r = await this.s.query<{ workflow_id: string }>(`SELECT workflow_id FROM ${table} WHERE id = $1`, [
      id,
    ]);
    if (!r.rows[0]) throw new Error(`no ${table} row ${id}`);
    return r.rows[0].workflow_id;
  }

  /** `roro tasks:run tick`: the schedule starts a workflow whose job row appears once it registers. */
  private async triggerTask(): Promise<OperationRun> {
    const before = await this.s.query<{ id: string }>(
      'SELECT id FROM jobs WHERE project_id = $1 AND task = $2',
      [this.projectId, TASK],
    );
    const seen = new Set(before.rows.map((r) => r.id));
    await this.s.apiOk('POST', `${this.base()}/tasks/${TASK}/run`, 200);
    return retrying(
      'waiting for the scheduled run to register',
      async () => {
        const r = await this.s.query<{ id: string; workflow_id: string }>(
          'SELECT id, workflow_id FROM jobs WHERE project_id = $1 AND task = $2 ORDER BY created_at DESC',
          [this.projectId, TASK],
        );
        const row = r.rows.find((x) => !seen.has(x.id));
        if (!row) throw new Error('no new scheduled run yet');
        return { kind: 'scheduled' as const, id: row.id, workflowId: row.workflow_id };
      },
      60_000,
    );
  }

  /**
   * Only a deploy of new code always builds; the others build only when their release's image is
   * gone (a restored machine), so their build cells remove it first: a rollback's target release,
   * the latest release for jobs and notebooks. Running containers keep the untagged image.
   */
  async dropImage(op: Operation): Promise<string | undefined> {
    if (op === 'deploy') return undefined;
    const r = await this.s.query<{ image: string }>(
      'SELECT image FROM releases WHERE project_id = $1 ORDER BY version DESC LIMIT 1 OFFSET $2',
      [this.projectId, op === 'rollback' ? 1 : 0],
    );
    const image = r.rows[0]?.image;
    if (!image) throw new Error(`${this.project} has no release for a ${op} to use`);
    await new Docker({ socketPath: this.s.env.dockerSocket }).getImage(image).remove({ force: true });
    return image;
  }

  /** What moves a run on that does not end by itself: a notebook is stopped once it runs. */
  async drive(run: OperationRun, deadline: number): Promise<void> {
    if (run.kind !== 'notebook') return;
    while (Date.now() < deadline) {
      const status = await this.state(run);
      if (status === 'running') break;
      if (status !== 'starting') return;
      await sleep(250);
    }
    await this.s.api('POST', `${this.base()}/notebooks/${run.id}/stop`);
  }

  /** The row's status, with its error when it failed. */
  async state(run: OperationRun): Promise<string> {
    const table =
      run.kind === 'deploy' || run.kind === 'rollback'
        ? 'deploys'
        : run.kind === 'notebook'
          ? 'notebooks'
          : 'jobs';
    const r = await this.s.query<{ status: string; error: string | null }>(
      `SELECT status, error FROM ${table} WHERE id = $1`,
      [run.id],
    );
    const row = r.rows[0];
    if (!row) return 'no row';
    return row.error && row.status === 'failed'
      ? `failed: ${row.error.split('\n')[0]!.slice(0, 100)}`
      : row.status;
  }
}
