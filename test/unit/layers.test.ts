import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { REPO_ROOT } from '../../core/config.js';

/** The layered folders, as eslint.config.js lists them (the repository root holds the config). */
const { FOLDERS: SOURCE_FOLDERS } = (await import(path.join(REPO_ROOT, 'eslint.config.js'))) as {
  FOLDERS: string[];
};

/** Every TypeScript source file of the layered folders, relative to the repository. */
function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(REPO_ROOT, rel), { withFileTypes: true })) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(child);
      else if (e.name.endsWith('.ts')) out.push(child);
    }
  };
  for (const folder of SOURCE_FOLDERS) if (fs.existsSync(path.join(REPO_ROOT, folder))) walk(folder);
  return out;
}

/** The project files a file imports at run time (type-only imports vanish and cannot make a cycle). */
function runtimeImports(file: string): string[] {
  const text = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?[^'";]*?from\s+'(\.{1,2}\/[^']+)\.js';/gm)) {
    if (m[1]) continue;
    out.push(path.posix.normalize(path.posix.join(path.posix.dirname(file), m[2]!)) + '.ts');
  }
  return out;
}

const folderOf = (file: string) => path.posix.dirname(file);

test('no import cycle runs through files of different folders', () => {
  const files = sourceFiles();
  const graph = new Map(files.map((f) => [f, runtimeImports(f).filter((t) => files.includes(t))]));
  // Tarjan's strongly connected components: a component of two or more files is a cycle.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) cycles.push(comp.sort());
    }
  };
  for (const f of files) if (!idx.has(f)) visit(f);
  const crossing = cycles.filter((c) => new Set(c.map(folderOf)).size > 1);
  assert.deepEqual(crossing, [], 'import cycles across folders');
});

test('lint refuses an import that climbs a layer, and allows one that goes down', async () => {
  const eslint = new ESLint({ cwd: REPO_ROOT });
  const lint = async (file: string, line: string) => {
    const text = `${line}\n${fs.readFileSync(path.join(REPO_ROOT, file), 'utf8')}`;
    const [result] = await eslint.lintText(text, { filePath: path.join(REPO_ROOT, file) });
    return result!.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports');
  };
  const up = await lint('activities/routes.ts', "import { createOperation } from '../api/deploys.js';");
  assert.equal(up.length, 1);
  assert.match(
    up[0]!.message,
    /activities\/ may import only from domain\/, gateway\/, containers\/, db\/, temporal\/, core\//,
  );
  const apiToActivities = await lint('api/jobs.ts', "import { planServices } from '../activities/plan.js';");
  assert.equal(apiToActivities.length, 1);
  const workflowValue = await lint(
    'workflows/run-job.ts',
    "import { planServices } from '../activities/plan.js';",
  );
  assert.equal(workflowValue.length, 1, 'workflows take only types from activities');
  const coreUp = await lint('core/names.ts', "import { withTransaction } from '../db/transaction.js';");
  assert.equal(coreUp.length, 1);
  assert.deepEqual(
    await lint('workflows/run-job.ts', "import type { JobRef } from '../activities/jobs.js';"),
    [],
  );
  assert.deepEqual(await lint('api/jobs.ts', "import { volumeDir } from '../core/config.js';"), []);
});
