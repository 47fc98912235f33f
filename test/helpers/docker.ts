import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { waitFor } from '../../core/wait.js';
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

/**
 * Runs `work` against the platform's Docker engine even while the platform is down. An engine the
 * platform does not own is still up; one it owns stopped with it, and is started here for `work` only
 * and stopped again, so that the next `roro server up` owns it as before.
 */
export async function withEngine<T>(work: (docker: Docker) => Promise<T>): Promise<T> {
  const docker = testDocker();
  if (
    await docker.ping().then(
      () => true,
      () => false,
    )
  )
    return work(docker);
  const socket = testEnv().dockerSocket;
  const pidFile = path.join(os.tmpdir(), `roro-test-dockerd-${process.pid}.pid`);
  const engine = spawn('dockerd', ['--host', `unix://${socket}`, '--pidfile', pidFile], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => engine.on('exit', () => resolve()));
  try {
    await waitFor(
      () =>
        docker.ping().then(
          () => true,
          () => false,
        ),
      { timeoutMs: 60_000 },
    );
    return await work(docker);
  } finally {
    engine.kill('SIGTERM');
    await exited;
  }
}
