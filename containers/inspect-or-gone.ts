import { NotFoundError } from '../core/errors.js';
import type { ContainerDriver, ContainerStatus } from './driver.js';

/** The container's state, or undefined when it no longer exists. */
export async function inspectOrGone(
  driver: ContainerDriver,
  name: string,
): Promise<ContainerStatus | undefined> {
  try {
    return await driver.inspect(name);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}
