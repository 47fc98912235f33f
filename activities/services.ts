import { ApplicationFailure, log } from '@temporalio/activity';
import type { ActivityDeps } from './deps.js';
import type { ContainerDriver } from '../containers/driver.js';
import type { ServicePlan } from './plan.js';
import { emitEvent } from './events.js';
import { startProjectContainer } from '../domain/project-container.js';
import { projectNetworkLabels } from '../domain/project-network.js';
import { lastLogLines } from '../containers/last-lines.js';
import { probe } from '../containers/probe.js';
import { publishedAt } from '../core/upstream.js';
import { waitContainerReady } from './container-readiness.js';
import { loadServiceHealth, servingSummary } from '../domain/service-health.js';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Instance {
  id: string;
  name: string;
  hostPort: number;
  /** The node address the port is published at, when not this host's loopback (a Swarm worker's). */
  hostAddress?: string;
}

export function createServiceActivities(deps: ActivityDeps & { driver: ContainerDriver }) {
  const { driver } = deps;
  return {
    /** Idempotent: containers are named by deploy and index, so a retry adopts what a crashed attempt started. */
    async startInstances(input: {
      deployId: string;
      project: string;
      image: string;
      service: ServicePlan;
    }): Promise<Instance[]> {
      const { service: svc } = input;
      const existing = await driver.list({ 'roro.deploy': input.deployId, 'roro.service': svc.name });
      const ids = await deps.db.query<{ id: string }>('SELECT id FROM projects WHERE name = $1', [
        input.project,
      ]);
      const project = { id: ids.rows[0] ? String(ids.rows[0].id) : undefined, name: input.project };
      const volumes = (svc.container.mounts ?? []).map((m) => m.target.replace(/^\/volumes\//, ''));
      if (deps.env.cluster && svc.replicas > 1 && volumes.length > 0 && existing.length === 0) {
        await emitEvent(
          deps.db,
          input.deployId,
          'info',
          `${svc.name}: its ${svc.replicas} replicas mount the volumes ${volumes.join(', ')}, which live on the manager, so they run there; \`volumes: []\` under the service in roro.yml lets them spread over the cluster's nodes`,
        );
      }
      const out: Instance[] = [];
      for (let i = 0; i < svc.replicas; i++) {
        const name = `roro-${input.project}-${svc.name}-${input.deployId}-${i}`;
        const found = existing.find((c) => c.name === name || c.name === `/${name}`);
        if (found) {
          const st = await driver.inspect(found.id);
          if (st.state === 'running' && st.hostPort) {
            out.push({ id: found.id, name, ...publishedAt(st) });
            continue;
          }
          await driver.remove(found.id);
        }
        const { container: c } = svc;
        const started = await startProjectContainer(deps, {
          kind: 'service',
          project,
          name,
          image: input.image,
          cmd: c.cmd,
          workdir: c.workdir ?? '/app',
          limits: c.limits,
          labels: c.labels,
          env: c.env,
          volumes: c.mounts ?? [],
          port: c.port,
          user: c.user,
          restart: c.restart,
          spreadAmong: {
            'roro.project': input.project,
            'roro.service': svc.name,
            'roro.deploy': input.deployId,
          },
        });
        log.info('service instance started', {
          project: input.project,
          service: svc.name,
          container: name,
        });
        out.push({ id: started.id, name, ...publishedAt(started) });
      }
      return out;
    },

    /** Ready means the function module imported (/_health) or the command answers on $PORT. */
    async waitReady(input: { deployId: string; service: ServicePlan; instances: Instance[] }): Promise<void> {
      const { service: svc } = input;
      const deadline = Date.now() + svc.startTimeoutSeconds * 1000;
      for (const inst of input.instances) {
        const lastLines = () => lastLogLines(driver, inst.id);
        await waitContainerReady(driver, {
          container: inst.id,
          timeoutMs: deadline - Date.now(),
          answers: () => probe(inst.hostPort, svc.healthPath, { host: inst.hostAddress }),
          crashed: async (why) =>
            ApplicationFailure.nonRetryable(
              `Service ${svc.name} ${why} before it became ready.`,
              'service_crashed',
              {
                logs: await lastLines(),
              },
            ),
          timedOut: async (engineError) =>
            ApplicationFailure.nonRetryable(
              engineError
                ? `Service ${svc.name} could not be checked within ${svc.startTimeoutSeconds} s: ${engineError}.`
                : `Service ${svc.name} did not become ready within ${svc.startTimeoutSeconds} s.`,
              'service_not_ready',
              { logs: await lastLines() },
            ),
        });
      }
      await emitEvent(
        deps.db,
        input.deployId,
        'info',
        `${input.service.name}: ${input.instances.length} instance(s) ready`,
      );
    },

    /** Stops and removes every container of the project's service except the ones of `keepDeployId`. */
    async retireInstances(input: {
      project: string;
      service: string;
      keepDeployId?: string;
      graceSeconds?: number;
    }): Promise<number> {
      const all = await driver.list({
        'roro.project': input.project,
        'roro.service': input.service,
        'roro.kind': 'service',
      });
      const old = all.filter((c) => c.labels['roro.deploy'] !== input.keepDeployId);
      // Give the reloaded gateway a moment to finish requests already sent to the old instances.
      if (old.length && input.keepDeployId) await sleep(1000);
      await Promise.all(
        old.map(async (c) => {
          await driver.stop(c.id, input.graceSeconds ?? 10);
          await driver.remove(c.id);
        }),
      );
      return old.length;
    },

    /** Compensation for a failed deploy: the new containers go, the old release keeps serving. */
    async removeDeployInstances(deployId: string): Promise<number> {
      const mine = await driver.list({ 'roro.deploy': deployId, 'roro.kind': 'service' });
      await Promise.all(mine.map((c) => driver.remove(c.id)));
      return mine.length;
    },

    /**
     * Every container and image a deleted project left; labels find them all. The images' untagged
     * parents stay (`noprune`): they may be the cached layers of another project's build under way,
     * which would fail if they went now; `docker image prune` reclaims them.
     */
    async removeProjectResources(project: string): Promise<number> {
      const containers = await driver.list({ 'roro.project': project });
      await Promise.all(containers.map((c) => driver.remove(c.id)));
      const images = await deps.docker.listImages({ filters: { label: [`roro.project=${project}`] } });
      for (const img of images)
        await deps.docker
          .getImage(img.Id)
          .remove({ force: true, noprune: true })
          .catch(() => undefined);
      await driver.removeNetworks(projectNetworkLabels(deps.env.home, project));
      return containers.length;
    },

    /** What serves the project now, in one sentence: a failed deploy says it instead of assuming. */
    async describeServing(input: { projectId: string; project: string; deployId: string }): Promise<string> {
      const health = await loadServiceHealth(
        deps.db,
        driver,
        { id: input.projectId, name: input.project },
        input.deployId,
      );
      return servingSummary(health);
    },

    async markServiceStopped(input: { projectId: string; service: string }): Promise<void> {
      await deps.db.query(
        `UPDATE services SET desired = 'stopped', status = 'stopped', instances = 0, ready = 0, updated_at = now()
         WHERE project_id = $1 AND name = $2`,
        [input.projectId, input.service],
      );
    },
  };
}
