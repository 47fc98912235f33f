import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { ActivityDeps } from './deps.js';
import type { DeployPlan } from './deploys.js';
import { buildProjectImage, ensureRuntimeImage } from './images.js';
import { logBuffer } from './events.js';
import { RoroError } from '../core/errors.js';
import { rebuildLatestIfMissing } from './release-image.js';
import { publishBuild } from './cluster-images.js';

const BUILD_TIMEOUT_MS = 30 * 60 * 1000;

/** A build the user must fix (pip failed, bad runtime, code not kept) is not retried. */
function buildFailure(err: unknown): never {
  if (
    err instanceof RoroError &&
    [
      'build_failed',
      'build_timeout',
      'invalid',
      'invalid_runtime',
      'release_code_missing',
      'release_code_damaged',
      'registry_untrusted',
      'registry_login_refused',
    ].includes(err.code)
  ) {
    throw ApplicationFailure.nonRetryable(err.message + (err.hint ? ` ${err.hint}` : ''), err.code);
  }
  throw err;
}

export function createBuildActivities(deps: ActivityDeps) {
  return {
    /**
     * Builds the runtime (cached by content) and the project image, streaming output to the deploy's
     * events; in cluster mode pushes them to the registry and returns the image's digest reference.
     * Re-running after a crash is cheap: Docker's layer cache has every finished step.
     */
    async buildImage(plan: DeployPlan): Promise<string> {
      if (!plan.build) throw ApplicationFailure.nonRetryable('nothing to build', 'internal');
      const ctx = Context.current();
      const logs = logBuffer(deps.db, plan.deployId);
      const beat = setInterval(() => ctx.heartbeat(), 5000);
      const onLog = (line: string) => logs.push(line);
      try {
        const runtime = await ensureRuntimeImage(deps.docker, plan.build.runtime, {
          onLog,
          signal: ctx.cancellationSignal,
          timeoutMs: BUILD_TIMEOUT_MS,
        });
        const { image } = await buildProjectImage(deps.docker, {
          project: plan.project,
          buildId: plan.build.buildId ?? plan.deployId,
          runtimeImage: runtime.image,
          codeDir: plan.build.codeDir,
          onLog,
          signal: ctx.cancellationSignal,
          timeoutMs: BUILD_TIMEOUT_MS,
        });
        // In cluster mode the release records the image by digest, as pushed to the registry.
        const ref = await publishBuild(deps, { runtimeImage: runtime.image, image }, onLog);
        log.info('image built', { project: plan.project, image: ref });
        return ref;
      } catch (err) {
        return buildFailure(err);
      } finally {
        clearInterval(beat);
        await logs.close().catch(() => {});
      }
    },

    /**
     * Before a job or notebook starts from the latest release: rebuilds its image from the kept
     * code if Docker no longer has it (a restored machine). Returns the image when it was rebuilt.
     */
    async ensureReleaseImage(input: {
      projectId: string;
      project: string;
      workId: string;
    }): Promise<string | undefined> {
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), 5000);
      try {
        return await rebuildLatestIfMissing(deps, input, {
          signal: ctx.cancellationSignal,
          timeoutMs: BUILD_TIMEOUT_MS,
        });
      } catch (err) {
        return buildFailure(err);
      } finally {
        clearInterval(beat);
      }
    },
  };
}
