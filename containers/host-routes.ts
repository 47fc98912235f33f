import fs from 'node:fs/promises';

/** An IPv4 route of the host: network and mask as unsigned 32-bit numbers. */
export interface HostRoute {
  iface: string;
  net: number;
  mask: number;
}

/** Reads the kernel's table (/proc/net/route: hexadecimal, little-endian); the default route is left out. */
export function parseRoutes(text: string): HostRoute[] {
  const out: HostRoute[] = [];
  for (const line of text.split('\n').slice(1)) {
    const [iface, dest, , , , , , mask] = line.trim().split(/\s+/);
    if (!iface || !dest || !mask || !/^[0-9A-F]{8}$/i.test(dest) || !/^[0-9A-F]{8}$/i.test(mask)) continue;
    const m = Buffer.from(mask, 'hex').readUInt32LE(0);
    if (m === 0) continue;
    out.push({ iface, net: Buffer.from(dest, 'hex').readUInt32LE(0), mask: m });
  }
  return out;
}

/** Whether an IPv4 CIDR shares addresses with any of the routes. */
export function overlapsRoute(cidr: string, routes: HostRoute[]): boolean {
  const [addr, bits] = cidr.split('/');
  const net = (addr ?? '').split('.').reduce((n, part) => n * 256 + Number(part), 0);
  const mask = Number(bits) === 0 ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0;
  return routes.some((r) => {
    const common = (mask & r.mask) >>> 0;
    return (net & common) >>> 0 === (r.net & common) >>> 0;
  });
}

/**
 * The host's routes, so a new network never takes a subnet the host already uses (Docker checks
 * subnets we name against its own networks only). Empty where the table is not readable.
 */
export async function hostRoutes(): Promise<HostRoute[]> {
  try {
    return parseRoutes(await fs.readFile('/proc/net/route', 'utf8'));
  } catch {
    return [];
  }
}
