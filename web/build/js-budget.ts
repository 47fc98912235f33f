import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

/** At most this much compressed JavaScript on the dashboard's first load (issue 14). */
export const FIRST_LOAD_BUDGET_BYTES = 250 * 1024;

/** The gateway compresses with gzip level 6 (gateway/nginx-dashboard.ts); the budget is measured the same way. */
export const GZIP_LEVEL = 6;

export interface BuiltChunk {
  fileName: string;
  code: string;
  isEntry: boolean;
  /** Chunks this one imports statically: loaded with it. */
  imports: string[];
}

/** The chunks the first load fetches: every entry and, transitively, what it imports statically. */
export function firstLoadChunks(chunks: BuiltChunk[]): BuiltChunk[] {
  const byName = new Map(chunks.map((c) => [c.fileName, c]));
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const dep of byName.get(name)?.imports ?? []) visit(dep);
  };
  for (const c of chunks) if (c.isEntry) visit(c.fileName);
  return [...seen].flatMap((n) => byName.get(n) ?? []);
}

export function gzipBytes(code: string): number {
  return gzipSync(code, { level: GZIP_LEVEL }).length;
}

/** The compressed size of the first load, and a refusal naming the chunks when it passes the budget. */
export function checkFirstLoad(chunks: BuiltChunk[], budget = FIRST_LOAD_BUDGET_BYTES) {
  const sizes = firstLoadChunks(chunks).map((c) => ({ file: c.fileName, gzip: gzipBytes(c.code) }));
  const total = sizes.reduce((n, s) => n + s.gzip, 0);
  const list = sizes.map((s) => `${s.file} ${(s.gzip / 1024).toFixed(1)} KB`).join(', ');
  const error =
    total > budget
      ? `The dashboard's first load is ${(total / 1024).toFixed(1)} KB of gzip-compressed JavaScript, over the budget of ${budget / 1024} KB (${list}): load the heavy part lazily with import(), or drop a dependency.`
      : undefined;
  return { total, sizes, error };
}

/** Fails the build when the first load passes the budget; prints the measure otherwise. */
export function jsBudget(budget = FIRST_LOAD_BUDGET_BYTES): Plugin {
  return {
    name: 'roro-js-budget',
    apply: 'build',
    generateBundle(_options, bundle) {
      const chunks: BuiltChunk[] = [];
      for (const item of Object.values(bundle)) {
        if (item.type === 'chunk') {
          chunks.push({
            fileName: item.fileName,
            code: item.code,
            isEntry: item.isEntry,
            imports: item.imports,
          });
        }
      }
      const { total, error } = checkFirstLoad(chunks, budget);
      if (error) this.error(error);
      this.info(
        `first load: ${(total / 1024).toFixed(1)} KB of gzip-compressed JavaScript (budget ${budget / 1024} KB)`,
      );
    },
  };
}
