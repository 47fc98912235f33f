import os from 'node:os';
import { RoroError, ValidationError } from './errors.js';

/** CPU and memory limits of one container. */
export interface SizeLimits {
  cpus: number;
  memoryBytes: number;
}

interface SizeDefinition extends SizeLimits {
  name: string;
  description: string;
}

const GiB = 1024 ** 3;

function size(name: string, cpus: number, memoryGiB: number, description: string): SizeDefinition {
  return { name, cpus, memoryBytes: memoryGiB * GiB, description };
}

/**
 * Named compute sizes of roro.yml `services[].size` (and jobs, notebooks). The letter says the
 * shape — S small, M memory, L large, C CPU-heavy, Z very large memory — and the number grows with
 * memory (S, M, L, Z: GiB or a step of it) or with CPUs (C). A size that does not fit the host is
 * refused when used, not when listed, so roro.yml files stay portable between hosts.
 */
export const SIZES: readonly SizeDefinition[] = [
  size('S1', 0.5, 1, 'half a CPU, 1 GiB: the default, enough for a small model behind a function'),
  size('S2', 1, 2, '1 CPU, 2 GiB'),
  size('S4', 1, 4, '1 CPU, 4 GiB'),
  size('M1', 1, 8, '1 CPU, 8 GiB: pandas on medium data'),
  size('M2', 2, 16, '2 CPUs, 16 GiB'),
  size('L1', 4, 32, '4 CPUs, 32 GiB'),
  size('Z64', 8, 64, '8 CPUs, 64 GiB: large in-memory data'),
  size('C1', 1, 1, '1 CPU, 1 GiB: CPU-bound, little memory'),
  size('C2', 2, 2, '2 CPUs, 2 GiB'),
  size('C4', 4, 4, '4 CPUs, 4 GiB'),
  size('C16', 16, 16, '16 CPUs, 16 GiB'),
];

/** The size used when roro.yml names none. */
export const DEFAULT_SIZE = 'S1';

export function sizeNames(): string[] {
  return SIZES.map((s) => s.name);
}

export function findSize(name: string): SizeDefinition | undefined {
  return SIZES.find((s) => s.name === name.toUpperCase());
}

function gib(bytes: number): string {
  const v = bytes / GiB;
  return `${Number.isInteger(v) ? v : v.toFixed(1)} GiB`;
}

/** The machine's capacity as Node sees it; the Docker engine's own figures may be passed instead. */
export function localHostCapacity(): SizeLimits {
  return { cpus: os.availableParallelism(), memoryBytes: os.totalmem() };
}

/**
 * Resolves a size name (case-insensitive, default S1) to limits that fit `host`. Throws
 * ValidationError for an unknown name and RoroError `size_too_large` when the host is too small.
 */
export function resolveSize(name: string | undefined, host: SizeLimits): SizeDefinition {
  const wanted = name === undefined || name === '' ? DEFAULT_SIZE : name;
  const found = findSize(wanted);
  if (!found) {
    throw new ValidationError(
      `Unknown size ${JSON.stringify(wanted)}: use one of ${sizeNames().join(', ')}.`,
      {
        code: 'invalid_size',
        hint: `Set services[].size to a listed name, e.g. ${DEFAULT_SIZE}.`,
      },
    );
  }
  const tooMany = found.cpus > host.cpus;
  const tooMuch = found.memoryBytes > host.memoryBytes;
  if (tooMany || tooMuch) {
    const need = `${found.cpus} CPUs and ${gib(found.memoryBytes)}`;
    const have = `${host.cpus} CPUs and ${gib(host.memoryBytes)}`;
    const fitting = SIZES.filter((s) => s.cpus <= host.cpus && s.memoryBytes <= host.memoryBytes).map(
      (s) => s.name,
    );
    throw new RoroError(
      `Size ${found.name} needs ${need} but this host has ${have}: choose a smaller size (${fitting.join(', ')}).`,
      { code: 'size_too_large', status: 400, details: { size: found.name, host: { ...host }, fitting } },
    );
  }
  return found;
}
