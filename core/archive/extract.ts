import { createReadStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { Parser } from 'tar';
import type { ReadEntry } from 'tar';
import { ConflictError, ValidationError } from '../errors.js';
import { EntryWriter, rejectEntry } from './extract-entries.js';
import type { ExtractLimits } from './extract-entries.js';

const DEFAULT_MAX_EXTRACT_BYTES = 1024 * 1024 * 1024;
const DEFAULT_MAX_EXTRACT_FILES = 50_000;
/** Tar headers, padding and pax records allowed per entry on top of the file bytes. */
const OVERHEAD_PER_ENTRY = 2048;
const GZIP_MAGIC = [0x1f, 0x8b];

export interface ExtractOptions {
  /** Limit on file bytes written, counted as they stream; default 1 GiB. */
  maxBytes?: number;
  /** Limit on entries (files, directories, symlinks); default 50 000. */
  maxFiles?: number;
  /** Optional limit on decompressed / compressed size; off unless set. */
  maxRatio?: number;
}

interface ExtractResult {
  /** Regular files written. */
  files: number;
  /** File bytes written. */
  bytes: number;
}

/**
 * Runs the parser over the decompressed stream and the writer over its entries, one entry at a
 * time. The first failure (from the parser, the writer or a limit) stops everything.
 */
class Run {
  failure: Error | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly failed: Promise<never>;
  private signalFailure: (err: Error) => void = () => {};
  private active: ReadEntry | undefined;
  private lastSeen = '';
  readonly parser: Parser;

  constructor(readonly writer: EntryWriter) {
    this.failed = new Promise<never>((_, reject) => {
      this.signalFailure = reject;
    });
    this.failed.catch(() => {});
    // strict turns every parser warning (bad checksum, truncation) into an error.
    this.parser = new Parser({ strict: true, brotli: false, zstd: false });
    this.parser.on('entry', (entry: ReadEntry) => {
      this.lastSeen = entry.path;
      this.chain = this.chain.then(() => this.process(entry)).catch((err) => this.fail(err));
    });
    this.parser.on('ignoredEntry', (entry: ReadEntry) => {
      this.fail(rejectEntry(entry.path, `has the unsupported type ${entry.type}`));
    });
    this.parser.on('error', (err: Error) => {
      const where =
        this.lastSeen === '' ? 'at its first entry' : `after entry ${JSON.stringify(this.lastSeen)}`;
      this.fail(
        new ValidationError(
          `Archive is not a valid tar (${err.message}) ${where}; package the project again with \`roro deploy\`.`,
          {
            code: 'archive_invalid',
          },
        ),
      );
    });
  }

  private async process(entry: ReadEntry): Promise<void> {
    if (this.failure) return;
    this.active = entry;
    try {
      await this.writer.write(entry);
    } finally {
      this.active = undefined;
    }
  }

  fail(err: unknown): void {
    if (this.failure) return;
    this.failure = err instanceof Error ? err : new Error(String(err));
    this.signalFailure(this.failure);
    // Ends a writer waiting for body bytes that will never come, so its file handle closes.
    this.active?.destroy();
  }

  async quiesce(): Promise<void> {
    await this.chain;
  }

  /** Resolves on `event`, rejects as soon as anything fails. */
  async until(event: string): Promise<void> {
    await Promise.race([
      new Promise<void>((resolve) => this.parser.once(event, () => resolve())),
      this.failed,
    ]);
  }

  async settle(): Promise<void> {
    await this.chain;
    if (this.failure) throw this.failure;
  }
}

function asRejection(err: unknown): unknown {
  if ((err as NodeJS.ErrnoException).code?.startsWith('Z_')) {
    return new ValidationError(
      `Archive is not a valid gzip file (${(err as Error).message}); send a .tar.gz made by \`roro deploy\`.`,
      {
        code: 'archive_invalid',
      },
    );
  }
  return err;
}

async function inflate(archivePath: string, run: Run, rawLimit: number): Promise<void> {
  const source = createReadStream(archivePath);
  const gunzip = createGunzip();
  source.on('error', (err) => gunzip.destroy(err));
  source.pipe(gunzip);
  let raw = 0;
  let head = Buffer.alloc(0);
  let eof = false;
  run.parser.on('eof', () => {
    eof = true;
  });
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      if (head.length < GZIP_MAGIC.length) {
        head = Buffer.concat([head, chunk.subarray(0, GZIP_MAGIC.length - head.length)]);
        // The parser would silently inflate a nested gzip, out of reach of the counting below.
        if (GZIP_MAGIC.every((b, i) => head[i] === b)) {
          throw new ValidationError(
            'Archive holds another compressed archive; send a single gzip-compressed tar.',
            { code: 'archive_invalid' },
          );
        }
      }
      raw += chunk.length;
      if (raw > rawLimit) {
        throw rejectEntry(
          run.writer.current,
          `takes the archive past its size limit (${rawLimit} bytes decompressed)`,
        );
      }
      if (!run.parser.write(chunk)) await run.until('drain');
      if (run.failure) throw run.failure;
      // Anything after the end-of-archive blocks is padding at best; do not inflate it.
      if (eof) break;
    }
  } finally {
    source.destroy();
    gunzip.destroy();
  }
}

async function feed(archivePath: string, run: Run, rawLimit: number): Promise<void> {
  try {
    await inflate(archivePath, run, rawLimit);
    const ended = run.until('end'); // end may be emitted synchronously inside parser.end()
    run.parser.end();
    await ended;
    await run.settle();
  } catch (err) {
    run.fail(asRejection(err));
    // The temp dir may only be removed once no entry is being written into it.
    await run.quiesce();
    throw run.failure;
  }
}

async function assertFreeDestination(dest: string): Promise<void> {
  const names = await readdir(dest).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  if (names.length > 0) {
    throw new ConflictError(
      `Destination ${dest} already exists and is not empty; extract each archive into a new directory.`,
    );
  }
}

/**
 * Extracts a .tar.gz made by packProject into `destDir` (which must not exist or be empty),
 * refusing anything that could escape it or exhaust the disk; see extract-entries.ts for the
 * rules. Hard links are always refused: packProject never writes them. Entries go into a fresh
 * temp dir beside destDir that is renamed into place on success and removed on any failure,
 * so a rejected archive leaves nothing behind.
 */
export async function extractArchive(
  archivePath: string,
  destDir: string,
  opts: ExtractOptions = {},
): Promise<ExtractResult> {
  const limits: ExtractLimits = {
    maxBytes: opts.maxBytes ?? DEFAULT_MAX_EXTRACT_BYTES,
    maxFiles: opts.maxFiles ?? DEFAULT_MAX_EXTRACT_FILES,
  };
  let rawLimit = limits.maxBytes + OVERHEAD_PER_ENTRY * (limits.maxFiles + 2);
  if (opts.maxRatio !== undefined) {
    rawLimit = Math.min(rawLimit, Math.max(1, (await stat(archivePath)).size) * opts.maxRatio);
  }
  const dest = path.resolve(destDir);
  await assertFreeDestination(dest);
  await mkdir(path.dirname(dest), { recursive: true });
  const tmp = await mkdtemp(path.join(path.dirname(dest), `.${path.basename(dest)}.extract-`));
  try {
    const writer = new EntryWriter(tmp, limits);
    await feed(archivePath, new Run(writer), rawLimit);
    await writer.verifyLinks();
    await chmod(tmp, 0o755);
    await rename(tmp, dest);
    return { files: writer.files, bytes: writer.bytes };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
