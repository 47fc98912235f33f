import Docker from 'dockerode';
import { testEnv } from './platform.js';

export const testDocker = () => new Docker({ socketPath: testEnv().dockerSocket });

/** Removes every container a test project left, running or not. */
export async function removeProjectContainers(project: string): Promise<void> {
  const docker = testDocker();
  const cs = await docker.listContainers({ all: true, filters: { label: [`roro.project=${project}`] } });
  await Promise.all(
    cs.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
}
