import type { ContainerDriver } from './driver.js';

/** A container's last lines for an error message, with a secret masked when one is given. */
export async function lastLogLines(
  driver: ContainerDriver,
  nameOrId: string,
  opts: { n?: number; mask?: string } = {},
): Promise<string[]> {
  const n = opts.n ?? 20;
  const lines: string[] = [];
  try {
    for await (const l of driver.logs(nameOrId, { follow: false, tail: n })) lines.push(l.line);
  } catch {
    /* the container may be gone already */
  }
  const mask = opts.mask;
  return lines.slice(-n).map((l) => (mask ? l.split(mask).join('<token>') : l));
}
