import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isValidName } from '../../core/names.js';
import { renderRouteTable } from '../../gateway/nginx-config.js';
import { notebookCommand } from '../../activities/notebooks.js';
import { openToken, sealToken } from '../../domain/notebook-tokens.js';
import { notebookBase, notebookLabel, notebookService } from '../../core/notebook-names.js';
import { newNotebookId } from '../../api/notebooks.js';
import { exitVerdict } from '../../workflows/notebook-session.js';

test('notebook route names pass the name rule and fit the gateway label limit', () => {
  const id = newNotebookId();
  assert.match(id, /^n[a-z0-9]+$/);
  assert.ok(isValidName(notebookService(id)));
  const longest = `p${'a'.repeat(39)}`;
  assert.ok(isValidName(longest));
  assert.ok(notebookLabel(longest, id).length <= 81);
  const table = renderRouteTable([{ project: longest, service: notebookService(id), upstreams: [] }], 'g1');
  assert.match(table, new RegExp(`^${notebookLabel(longest, id)}$`, 'm'));
  assert.equal(notebookBase('proj', id), `/proj--nb-${id}/`);
});

test('the Jupyter command carries the base url and root dir, never a token', () => {
  const cmd = notebookCommand('lab', '/p--nb-x/');
  assert.equal(cmd[3], 'lab');
  assert.ok(cmd.includes('--ServerApp.base_url=/p--nb-x/'));
  assert.ok(cmd.includes('--ServerApp.root_dir=/volumes/notebooks'));
  assert.ok(cmd.includes('--port=8080'));
  assert.ok(!cmd.some((a) => /token=/i.test(a)));
  assert.equal(notebookCommand('notebook', '/p--nb-x/')[3], 'notebook');
});

test('tokens are sealed to their notebook', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-nb-unit-'));
  try {
    const sealed = sealToken(home, 'n1', 'secret-token');
    assert.ok(!sealed.includes('secret-token'));
    assert.equal(openToken(home, 'n1', sealed), 'secret-token');
    assert.throws(() => openToken(home, 'n2', sealed));
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});

test('a session that ends by itself is finished or failed with a reason', () => {
  assert.equal(exitVerdict({ exitCode: 0, logs: [] }).status, 'finished');
  const crashed = exitVerdict({ exitCode: 1, logs: ['boom'] });
  assert.equal(crashed.status, 'failed');
  assert.match(crashed.error!, /code 1[\s\S]*boom/);
  assert.match(exitVerdict({ exitCode: 137, oomKilled: true, logs: [] }).error!, /memory/);
  assert.match(exitVerdict({ gone: true, logs: [] }).error!, /disappeared/);
});
