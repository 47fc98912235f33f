import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Header, Pack, ReadEntry } from 'tar';

/**
 * Files of runtimes/ never worth sending to the engine nor hashing: hidden files (virtualenvs,
 * caches, VCS), build leftovers, and the package's own tests. Not used for user projects, whose
 * files all belong in /app.
 */
const JUNK = new Set(['__pycache__', 'node_modules']);
const TOP_JUNK = new Set(['build', 'dist', 'tests']);

export function isJunk(relPath: string): boolean {
  const parts = relPath.split('/');
  if (TOP_JUNK.has(parts[0] ?? '')) return true;
  return parts.some((p) => p.startsWith('.') || JUNK.has(p) || p.endsWith('.egg-info') || p.endsWith('.pyc'));
}

export interface ContextSpec {
  /** Generated files at the root of the context (Dockerfile, ...). */
  files: Record<string, string | Buffer>;
  /** Host directories copied under a prefix ('' = the root). Symlinks are sent as links, never followed. */
  dirs: Array<{ dir: string; prefix: string; skipJunk?: boolean }>;
}

const EOF_BYTES = 1024;

/**
 * A build context as one tar stream. node-tar packs one directory per archive, so each part is its
 * own archive and all but the last lose their 1024-byte end marker: the engine then reads one
 * archive. Streams, so a large project is never held in memory.
 */
export function packContext(spec: ContextSpec): Readable {
  const parts: Array<() => Readable> = [() => packFiles(spec.files)];
  for (const d of spec.dirs) {
    parts.push(() => {
      const pack = new Pack({
        cwd: d.dir,
        prefix: d.prefix || undefined,
        portable: true,
        filter: d.skipJunk
          ? (p: string) => p === '.' || p === './' || !isJunk(p.replace(/^\.\//, ''))
          : undefined,
      });
      pack.add('.');
      pack.end();
      return Readable.from(pack as unknown as AsyncIterable<Buffer>);
    });
  }
  return Readable.from(concatArchives(parts));
}

function packFiles(files: Record<string, string | Buffer>): Readable {
  const pack = new Pack({ portable: true });
  for (const [name, content] of Object.entries(files)) {
    const body = typeof content === 'string' ? Buffer.from(content) : content;
    const entry = new ReadEntry(
      new Header({ path: name, mode: 0o644, size: body.length, type: 'File', mtime: new Date(0) }),
    );
    pack.add(entry);
    entry.end(body);
  }
  pack.end();
  return Readable.from(pack as unknown as AsyncIterable<Buffer>);
}

async function* concatArchives(parts: Array<() => Readable>): AsyncGenerator<Buffer> {
  for (let i = 0; i < parts.length; i++) {
    const last = i === parts.length - 1;
    let tail = Buffer.alloc(0);
    for await (const chunk of parts[i]!()) {
      if (last) {
        yield chunk as Buffer;
        continue;
      }
      // Hold back the last 1024 bytes: they are the end marker to drop.
      tail = Buffer.concat([tail, chunk as Buffer]);
      if (tail.length > EOF_BYTES) {
        yield tail.subarray(0, tail.length - EOF_BYTES);
        tail = tail.subarray(tail.length - EOF_BYTES);
      }
    }
    if (!last && (tail.length !== EOF_BYTES || tail.some((b) => b !== 0))) {
      throw new Error(
        'tar archive did not end with its 1024-byte end marker; cannot join build context parts.',
      );
    }
  }
}

/** All regular files under dir (relative, sorted), junk skipped; symlinks are not followed. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .filter((rel) => !isJunk(rel))
    .sort();
}

/** Content hash of directories (path + bytes of every file) and extra strings, 12 hex digits. */
export async function hashInputs(
  dirs: Array<{ dir: string; label: string }>,
  extra: string[] = [],
): Promise<string> {
  const h = createHash('sha256');
  for (const { dir, label } of dirs) {
    for (const rel of await listFiles(dir)) {
      h.update(`${label}/${rel}\0`);
      h.update(await fs.readFile(path.join(dir, rel)));
      h.update('\0');
    }
  }
  for (const e of extra) h.update(`${e}\0`);
  return h.digest('hex').slice(0, 12);
}
