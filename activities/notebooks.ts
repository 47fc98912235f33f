import crypto from 'node:crypto';
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { Pool } from 'pg';
import type { ActivityDeps } from './deps.js';
import type { ContainerDriver } from '../containers/driver.js';
import { notebookBase, notebookContainerName } from '../core/notebook-names.js';
import { openToken, sealToken } from '../domain/notebook-tokens.js';
import { startProjectContainer } from '../domain/project-container.js';
import { latestRelease, noReleaseYet } from '../db/releases.js';
import { containerLimits } from './container-limits.js';
import { userFailure } from './deploys.js';
import { inspectOrGone } from '../containers/inspect-or-gone.js';
import { lastLogLines } from '../containers/last-lines.js';
import { probe } from '../containers/probe.js';
import { publishedAt } from '../core/upstream.js';
import { waitContainerReady } from './container-readiness.js';

/** SIGTERM, then SIGKILL: Jupyter saves nothing on shutdown, but kernels get a moment to exit. */
export const NOTEBOOK_STOP_GRACE_SECONDS = 10;
/** Jupyter imports a lot on a half-CPU size; this is how long it may take to answer. */
export const NOTEBOOK_START_TIMEOUT_SECONDS = 240;
export const NOTEBOOK_PORT = 8080;
export const NOTEBOOK_DIR = '/volumes/notebooks';

export interface NotebookRef {
  notebookId: string;
  project: string;
  projectId: string;
}

/**
 * Starts Jupyter with its base_url at the gateway prefix. The gateway strips `/<label>` from path
 * routes, while the host route (`<label>.<domain>/`) passes paths as they are and Jupyter's pages link
 * to `<base>...`; so a request whose path lacks the base gets it back before tornado routes it. Both
 * URLs then work, for browsers and for API clients (kernels' WebSockets included).
 */
export const NOTEBOOK_LAUNCHER = `import os, sys
from tornado import httputil
base = os.environ["RORO_NOTEBOOK_BASE"]
_init = httputil.HTTPServerRequest.__init__
def _init_with_base(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    if not (self.path + "/").startswith(base):
        self.path = base[:-1] + self.path
        self.uri = base[:-1] + self.uri
httputil.HTTPServerRequest.__init__ = _init_with_base
app = sys.argv[1]
if app == "lab":
    from jupyterlab.labapp import main
else:
    from notebook.app import main
sys.argv = ["jupyter-" + app] + sys.argv[2:]
sys.exit(main())
`;

/** argv of the container. The token is not here: it goes in JUPYTER_TOKEN, which `docker top` does not show. */
export function notebookCommand(app: 'lab' | 'notebook', base: string): string[] {
  return [
    'python',
    '-c',
    NOTEBOOK_LAUNCHER,
    app,
    '--ip=0.0.0.0',
    `--port=${NOTEBOOK_PORT}`,
    '--no-browser',
    `--ServerApp.base_url=${base}`,
    `--ServerApp.root_dir=${NOTEBOOK_DIR}`,
    // Requests come through the gateway with its host name; the token guards access.
    '--ServerApp.allow_remote_access=True',
    '--ServerApp.trust_xheaders=True',
    // No calls to PyPI from a platform that may have no internet access.
    '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
  ];
}

async function notebookRow(db: Pool, id: string) {
  const res = await db.query<{ app: 'lab' | 'notebook'; size: string; token_sealed: string | null }>(
    'SELECT app, size, token_sealed FROM notebooks WHERE id = $1',
    [id],
  );
  const row = res.rows[0];
  if (!row) throw ApplicationFailure.nonRetryable(`Notebook ${id} has no record.`, 'not_found');
  return row;
}

export interface NotebookExit {
  exitCode?: number;
  oomKilled?: boolean;
  /** The container vanished (removed outside roro, or with its project). */
  gone?: boolean;
  logs: string[];
}

export function createNotebookActivities(deps: ActivityDeps & { driver: ContainerDriver }) {
  const { driver, db } = deps;
  const home = deps.env.home;

  return {
    /**
     * Idempotent by container name: a retry adopts a running container (whose token was stored before
     * it started). A fresh start makes a new token here, stores it sealed, and returns only the port.
     */
    async startNotebookContainer(ref: NotebookRef): Promise<{ hostPort: number; hostAddress?: string }> {
      const name = notebookContainerName(ref.project, ref.notebookId);
      const found = await inspectOrGone(driver, name);
      if (found?.state === 'running' && found.hostPort) return publishedAt(found);
      if (found) await driver.remove(name);
      const row = await notebookRow(db, ref.notebookId);
      const release = (await latestRelease(db, ref.projectId)) ?? userFailure(noReleaseYet());
      const limits = containerLimits(row.size);
      const token = crypto.randomBytes(24).toString('hex');
      await db.query(
        'UPDATE notebooks SET token_sealed = $2, image = $3, release_version = $4 WHERE id = $1',
        [ref.notebookId, sealToken(home, ref.notebookId, token), release.image, release.version],
      );
      const base = notebookBase(ref.project, ref.notebookId);
      // API access for the notebook's code (models, jobs): a project-scoped token, made as it starts.
      const started = await startProjectContainer(deps, {
        kind: 'notebook',
        project: { id: ref.projectId, name: ref.project },
        name,
        image: release.image,
        cmd: notebookCommand(row.app, base),
        platformEnv: {
          RORO_PROJECT: ref.project,
          RORO_NOTEBOOK_ID: ref.notebookId,
          RORO_NOTEBOOK_BASE: base,
          JUPYTER_TOKEN: token,
        },
        labels: { 'roro.notebook': ref.notebookId },
        workdir: NOTEBOOK_DIR,
        port: NOTEBOOK_PORT,
        limits,
        user: '1000',
        purpose: `notebook ${ref.notebookId}`,
      });
      // Never the token: it is sealed in the database and shown only to the user who asked.
      log.info('notebook container started', {
        project: ref.project,
        notebookId: ref.notebookId,
        container: name,
      });
      return publishedAt(started);
    },

    /** Ready means Jupyter answers its status API with the token; a crash or timeout fails with its last lines. */
    async waitNotebookReady(ref: NotebookRef & { hostPort: number; hostAddress?: string }): Promise<void> {
      const name = notebookContainerName(ref.project, ref.notebookId);
      const row = await notebookRow(db, ref.notebookId);
      if (!row.token_sealed) throw ApplicationFailure.nonRetryable('The notebook has no token.', 'no_token');
      const token = openToken(home, ref.notebookId, row.token_sealed);
      const base = notebookBase(ref.project, ref.notebookId);
      const lastLines = () => lastLogLines(driver, name, { mask: token });
      await waitContainerReady(driver, {
        container: name,
        timeoutMs: NOTEBOOK_START_TIMEOUT_SECONDS * 1000,
        intervalMs: 500,
        // 200 means Jupyter is up and takes the token.
        answers: () =>
          probe(ref.hostPort, `${base}api/status`, {
            headers: { authorization: `token ${token}` },
            ready: (status) => status === 200,
            host: ref.hostAddress,
          }),
        crashed: async (why) =>
          ApplicationFailure.nonRetryable(
            `Jupyter ${why} before it answered. Last lines:\n${(await lastLines()).join('\n')}`,
            'notebook_crashed',
          ),
        timedOut: async (engineError) =>
          ApplicationFailure.nonRetryable(
            engineError
              ? `Jupyter could not be checked within ${NOTEBOOK_START_TIMEOUT_SECONDS} s: ${engineError}.`
              : `Jupyter did not answer within ${NOTEBOOK_START_TIMEOUT_SECONDS} s. Last lines:\n${(await lastLines()).join('\n')}`,
            'notebook_not_ready',
          ),
      });
    },

    /**
     * Resolves when the container exits (or vanishes). Heartbeats (as every activity), so a restarted worker re-attaches
     * and a cancelled session (`roro stop`) is noticed within a second.
     */
    async waitNotebook(ref: NotebookRef): Promise<NotebookExit> {
      const ctx = Context.current();
      const name = notebookContainerName(ref.project, ref.notebookId);
      const exited = driver.wait(name).then(
        () => 'exited' as const,
        () => 'gone' as const,
      );
      await Promise.race([exited, ctx.cancelled]);
      const st = await inspectOrGone(driver, name);
      if (!st) return { gone: true, logs: [] };
      const row = await notebookRow(db, ref.notebookId);
      const token = row.token_sealed ? openToken(home, ref.notebookId, row.token_sealed) : undefined;
      return {
        exitCode: st.exitCode,
        oomKilled: st.oomKilled,
        logs: await lastLogLines(driver, name, { mask: token }),
      };
    },

    async stopNotebookContainer(ref: NotebookRef): Promise<void> {
      const name = notebookContainerName(ref.project, ref.notebookId);
      await driver.stop(name, NOTEBOOK_STOP_GRACE_SECONDS);
      await driver.remove(name);
    },

    /** Moves a session forward only: once ended it stays as recorded, so a retried call is a no-op. */
    async markNotebook(input: {
      notebookId: string;
      status: 'running' | 'stopped' | 'failed' | 'finished';
      error?: string;
    }): Promise<void> {
      const ended = input.status !== 'running';
      await db.query(
        `UPDATE notebooks SET status = $2, error = $3,
           started_at = CASE WHEN $4 THEN started_at ELSE coalesce(started_at, now()) END,
           finished_at = CASE WHEN $4 THEN now() ELSE NULL END,
           token_sealed = CASE WHEN $4 THEN NULL ELSE token_sealed END
         WHERE id = $1 AND status IN ('starting', 'running')`,
        [input.notebookId, input.status, input.error ?? null, ended],
      );
    },
  };
}
