import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../core/config.js';

const CLI = path.join(REPO_ROOT, 'dist', 'cli', 'index.js');
const PROJECT_LINE =
  /^ {2}--project <name> +Project \(default: RORO_PROJECT, or project: in \.\/roro\.yml\) *$/m;

/** The commands that act on no project: accounts, the project list, the platform and its nodes. */
const WITHOUT_PROJECT = new Set([
  'login',
  'logout',
  'whoami',
  'users',
  'users:add',
  'users:remove',
  'projects',
  'create',
  'projects:delete',
  'server',
  'nodes',
  'nodes:join',
  'nodes:drain',
  'nodes:activate',
]);

const help = async (...args: string[]) =>
  (await promisify(execFile)(process.execPath, [CLI, ...args, '--help'], { timeout: 60_000 })).stdout;

test('every project command offers the same --project, described the same way, first among its options', async () => {
  const list = (await help()).split('Commands:\n')[1]!.split('\n\n')[0]!;
  const commands = [...list.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]!);
  assert.ok(commands.length > 30, `the command list was read: ${commands.join(' ')}`);
  const projectCommands = commands.filter((c) => !WITHOUT_PROJECT.has(c));
  // A few at a time: each is a node process.
  for (let i = 0; i < projectCommands.length; i += 4) {
    await Promise.all(
      projectCommands.slice(i, i + 4).map(async (command) => {
        const text = await help(command);
        assert.match(text, PROJECT_LINE, `roro ${command} --help`);
        const firstOption = text.split('Options:\n')[1]!.split('\n')[0]!;
        assert.match(firstOption, /^ {2}--project /, `roro ${command} --help lists --project first`);
      }),
    );
  }
  for (const command of WITHOUT_PROJECT) {
    assert.doesNotMatch(await help(command), /--project </, `roro ${command} takes no --project`);
  }
});
