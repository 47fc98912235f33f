import { localHostCapacity, resolveSize } from '../core/sizes.js';
import { userFailure } from './deploys.js';

/** CPU and memory limits of a named size; an unknown or too large size is the user's error. */
export function containerLimits(size: string | undefined): { cpus: number; memoryBytes: number } {
  try {
    const s = resolveSize(size, localHostCapacity());
    return { cpus: s.cpus, memoryBytes: s.memoryBytes };
  } catch (err) {
    return userFailure(err);
  }
}
