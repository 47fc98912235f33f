import type { ContainerSpec } from './driver.js';

/** Refuses a spec that would give user code the engine's socket, whatever the driver. */
export function refuseEngineSocket(spec: ContainerSpec): void {
  for (const m of spec.mounts ?? []) {
    if (/docker\.sock$/.test(m.source) || m.source === '/var/run' || m.source === '/run') {
      throw new Error(
        `Refusing to mount ${m.source} into a container: the Docker socket is never given to user code.`,
      );
    }
  }
}
