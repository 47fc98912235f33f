import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { checkFirstLoad, firstLoadChunks, type BuiltChunk } from '../../web/build/js-budget.js';

const chunk = (fileName: string, code: string, isEntry: boolean, imports: string[] = []): BuiltChunk => ({
  fileName,
  code,
  isEntry,
  imports,
});

test('the first load counts the entry and what it imports statically, not lazy chunks', () => {
  const chunks = [
    chunk('index.js', 'a', true, ['vendor.js']),
    chunk('vendor.js', 'b', false, ['shared.js']),
    chunk('shared.js', 'c', false),
    chunk('plot.js', 'd', false, ['shared.js']),
  ];
  assert.deepEqual(
    firstLoadChunks(chunks).map((c) => c.fileName),
    ['index.js', 'vendor.js', 'shared.js'],
  );
});

test('the build check refuses a first load past the budget, naming the chunks', () => {
  // Random bytes do not compress: base64 of 300 KB of random bytes stays over 300 KB in gzip.
  const big = randomBytes(300 * 1024).toString('base64');
  const over = checkFirstLoad([chunk('index.js', 'ok', true, ['huge.js']), chunk('huge.js', big, false)]);
  assert.ok(over.total > 250 * 1024);
  assert.match(
    over.error ?? '',
    /over the budget of 250 KB \(index\.js .* KB, huge\.js .* KB\): load the heavy part lazily/,
  );
  const lazy = checkFirstLoad([chunk('index.js', 'ok', true), chunk('huge.js', big, false)]);
  assert.equal(lazy.error, undefined);
});
