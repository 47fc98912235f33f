import { lstat, readlink } from 'node:fs/promises';
import path from 'node:path';

/** Linux follows at most 40 links in one lookup; a longer chain is a loop. */
const MAX_LINK_HOPS = 40;

type LinkVerdict = 'inside' | 'outside' | 'loop' | 'absolute';

function splitParts(p: string): string[] {
  return p.split('/').filter((part) => part !== '' && part !== '.');
}

/**
 * Follows the symlink at `linkRel` (a '/'-separated path relative to `root`) the way the kernel
 * would, component by component, and reports whether every step stays inside `root`.
 * A lexical check alone is not enough: in `a -> b/../..` the `..` applies to wherever `b`
 * points, which may sit higher in the tree than `b` itself. The parents of `linkRel` must be
 * real directories (both the packer's walk and the extractor guarantee that).
 * Components that do not exist are applied lexically: the kernel cannot pass through them.
 */
export async function resolveLink(root: string, linkRel: string): Promise<LinkVerdict> {
  const cur = splitParts(linkRel);
  cur.pop();
  const first = await readlink(path.join(root, ...splitParts(linkRel)));
  if (path.isAbsolute(first)) return 'absolute';
  const queue = splitParts(first);
  let hops = 0;
  while (queue.length > 0) {
    const part = queue.shift() as string;
    if (part === '..') {
      if (cur.length === 0) return 'outside';
      cur.pop();
      continue;
    }
    cur.push(part);
    const info = await lstat(path.join(root, ...cur)).catch(() => undefined);
    if (info?.isSymbolicLink()) {
      hops += 1;
      if (hops > MAX_LINK_HOPS) return 'loop';
      const target = await readlink(path.join(root, ...cur));
      if (path.isAbsolute(target)) return 'outside';
      cur.pop();
      queue.unshift(...splitParts(target));
    }
  }
  return 'inside';
}
