import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_RORO_YML_CHARS,
  MAX_RORO_YML_NODES,
  MAX_SERVICES,
  validateRoroYml,
} from '../../core/roro-yml.js';

const only = (text: string) => {
  const { config, issues } = validateRoroYml(text);
  assert.equal(config, undefined, 'refused');
  return issues;
};

test('a roro.yml over the size limit is refused before it is parsed', () => {
  const text = `project: big\n# ${'x'.repeat(MAX_RORO_YML_CHARS)}\n`;
  const [issue] = only(text);
  assert.match(issue!.message, /roro\.yml may be at most 64 KB/);
});

test('a roro.yml of millions of keys stops at the node limit, at the line where it passed it', () => {
  const keys = Array.from({ length: 2_000_000 }, (_, i) => `k${i}: 1`).join('\n');
  const text = `project: many\nenv:\n${keys}\n`.slice(0, MAX_RORO_YML_CHARS - 1);
  const [issue] = only(text);
  assert.match(issue!.message, new RegExp(`more than ${MAX_RORO_YML_NODES} keys and values`));
  assert.ok(issue!.line > 1000 && issue!.line < 4000, `line ${issue!.line}`);
});

test('too many services are refused with the limit', () => {
  const services = Array.from({ length: MAX_SERVICES + 1 }, (_, i) => `  - name: s${i}\n    command: x`);
  const issues = only(`project: wide\nservices:\n${services.join('\n')}\n`);
  assert.ok(issues.some((i) => i.path === 'services' && /at most 50/.test(i.message)));
});

test('unknown sizes and runtimes are refused with their line and column, before any upload', () => {
  const issues = only(
    'project: p\nruntime: python9\nservices:\n  - name: default\n    function: a.b\n    size: XL9\n',
  );
  const runtime = issues.find((i) => i.path === 'runtime')!;
  assert.deepEqual([runtime.line, runtime.column], [2, 10]);
  assert.match(runtime.message, /unknown runtime "python9"/);
  assert.match(runtime.hint, /python3/);
  const size = issues.find((i) => i.path === 'services[0].size')!;
  assert.deepEqual([size.line, size.column], [6, 11]);
  assert.match(size.hint, /S1/);
});

test('known sizes and runtime aliases still pass', () => {
  const { config } = validateRoroYml(
    'project: pp\nruntime: rorodata/sandbox\nservices:\n  - name: default\n    function: a.b\n    size: s2\n',
  );
  assert.ok(config);
});
