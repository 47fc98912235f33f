import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EventRenderer,
  NdjsonParser,
  barLine,
  formatBytes,
  parseEvent,
  sanitize,
} from '../../cli/progress.js';
import type { Chunk, DeployEvent, RenderOptions } from '../../cli/progress.js';
import { parseVersion, releaseRows, rollbackLine } from '../../cli/commands/releases.js';
import type { Release } from '../../cli/commands/releases.js';

let seq = 0;
const ev = (kind: string, message = '', data?: Record<string, unknown>): DeployEvent => ({
  seq: ++seq,
  at: '2024-01-01T00:00:00Z',
  kind,
  message,
  ...(data ? { data } : {}),
});

/** Renders events and returns what went to stderr and to stdout. */
function render(events: DeployEvent[], opts: Partial<RenderOptions> = {}) {
  const r = new EventRenderer({
    live: false,
    final: (d) => `Deployed version ${d.version} of credit-risk project.`,
    showRestarted: true,
    ...opts,
  });
  const chunks: Chunk[] = events.flatMap((e) => r.render(e));
  const join = (to: 'out' | 'err') =>
    chunks
      .filter((c) => c.to === to)
      .map((c) => c.text)
      .join('');
  return { err: join('err'), out: join('out'), outcome: r.outcome };
}

// ---------- NDJSON parsing ----------

test('lines cut anywhere across chunks, even inside a UTF-8 character, come out whole', () => {
  const lines = [
    JSON.stringify({ seq: 1, at: 'x', kind: 'phase', message: 'Building docker image' }),
    JSON.stringify({ seq: 2, at: 'x', kind: 'log', message: 'Collecting numpy — ünïcode ✓' }),
    JSON.stringify({ seq: 3, at: 'x', kind: 'done', message: '', data: { version: 5 } }),
  ];
  const bytes = Buffer.from(lines.join('\n') + '\n');
  for (const size of [1, 2, 3, 7, 64, bytes.length]) {
    const p = new NdjsonParser();
    const got: DeployEvent[] = [];
    for (let i = 0; i < bytes.length; i += size)
      got.push(...p.push(new Uint8Array(bytes.subarray(i, i + size))));
    got.push(...p.end());
    assert.deepEqual(
      got.map((e) => e.seq),
      [1, 2, 3],
      `chunk size ${size}`,
    );
    assert.equal(got[1]?.message, 'Collecting numpy — ünïcode ✓');
    assert.deepEqual(got[2]?.data, { version: 5 });
  }
});

test('a last line without a newline counts; blank, CRLF and junk lines do not break the stream', () => {
  const p = new NdjsonParser();
  const got = [
    ...p.push('\n{"seq":1,"kind":"info","message":"a"}\r\nnot json\n[1,2]\n{"kind":"info"}\n'),
    ...p.push('{"seq":2,"kind":"info","message":"b"}'),
    ...p.end(),
  ];
  assert.deepEqual(
    got.map((e) => e.message),
    ['a', 'b'],
  );
  assert.equal(p.skipped, 3);
});

test('parseEvent fills defaults and drops a non-object data', () => {
  assert.deepEqual(parseEvent('{"seq":4,"kind":"warn","data":[1]}'), {
    seq: 4,
    at: '',
    kind: 'warn',
    message: '',
  });
  assert.equal(parseEvent('{"seq":"4","kind":"warn"}'), undefined);
});

// ---------- rendering ----------

test('a deploy renders rorodata lines: phases on stderr, URLs and version on stdout', () => {
  const r = render(
    [
      ev('phase', 'Building docker image'),
      ev('log', 'Step 1/4 : FROM roro/python3'),
      ev('log', 'Successfully built abc'),
      ev('phase_done', 'Building docker image'),
      ev('phase', 'Updating scheduled jobs'),
      ev('phase_done', 'Updating scheduled jobs'),
      ev('done', '', { version: 5, urls: { default: 'https://credit-risk.example.com/' }, restarted: 1 }),
    ],
    { next: 'Watch it with: roro ps' },
  );
  assert.equal(
    r.err,
    [
      'Building docker image...',
      '       Step 1/4 : FROM roro/python3',
      '       Successfully built abc',
      'Building docker image... done.',
      'Updating scheduled jobs... done.',
      'Restarted one service.',
      'Watch it with: roro ps',
      '',
    ].join('\n'),
  );
  assert.equal(
    r.out,
    '  default: https://credit-risk.example.com/\nDeployed version 5 of credit-risk project.\n',
  );
  assert.deepEqual(r.outcome, {
    status: 'succeeded',
    data: { version: 5, urls: { default: 'https://credit-risk.example.com/' }, restarted: 1 },
  });
});

test('several restarted services, none restarted, and showRestarted off', () => {
  assert.match(render([ev('done', '', { version: 2, restarted: 3 })]).err, /^Restarted 3 services\.\n$/);
  assert.equal(render([ev('done', '', { version: 2, restarted: 0 })]).err, '');
  assert.equal(render([ev('done', '', { version: 2, restarted: 1 })], { showRestarted: false }).err, '');
});

test('a failure prints Error: with the reason, closes the open phase, and lists the service log', () => {
  const r = render([
    ev('phase', 'Starting services'),
    ev('failed', 'service default did not become ready within 60 s', {
      logs: ['Traceback (most recent call last):', 'ImportError: no module x'],
    }),
  ]);
  assert.equal(
    r.err,
    'Starting services... failed.\nError: service default did not become ready within 60 s\n' +
      "Last lines of the service's log:\n       Traceback (most recent call last):\n       ImportError: no module x\n",
  );
  assert.equal(r.out, '');
  assert.equal(r.outcome?.status, 'failed');
});

test('info and warn lines, and kinds this client does not know', () => {
  const r = render([
    ev('phase', 'Building docker image'),
    ev('warn', 'requirements.txt pins nothing'),
    ev('info', 'Using cached layers'),
    ev('future_kind', 'hello'),
    ev('phase_done', 'Building docker image'),
  ]);
  assert.equal(
    r.err,
    'Building docker image...\n !     requirements.txt pins nothing\nUsing cached layers\nhello\nBuilding docker image... done.\n',
  );
});

test('live mode keeps a window of the last build lines and rewrites the phase line when done', () => {
  const r = render(
    [
      ev('phase', 'Building docker image'),
      ...['a', 'b', 'c'].map((l) => ev('log', l)),
      ev('phase_done', 'Building docker image'),
    ],
    { live: true, windowLines: 2, columns: 80 },
  );
  // Strip the cursor moves to see what stays on screen: the done line replaces the phase and its window.
  assert.ok(r.err.endsWith('\u001b[3A\r\u001b[JBuilding docker image... done.\n'), JSON.stringify(r.err));
  assert.ok(!r.err.includes('\u001b[2mA') && r.err.includes('\u001b[2mc\u001b[0m'));
});

test('build output cannot move the cursor; progress redraws keep their last state', () => {
  assert.equal(sanitize('\u001b[2J\u001b]0;title\u0007ok\tdone'), 'ok    done');
  assert.equal(sanitize('10%\r50%\r100%\r'), '100%');
});

// ---------- small formatters ----------

test('upload bar and sizes', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(3.4 * 1024 * 1024), '3.4 MB');
  assert.equal(barLine(50, 100, 10), '[#####-----]  50%  50 B / 100 B');
  assert.equal(barLine(0, 0, 4), '[####] 100%  0 B / 0 B');
});

test('releases rows: short sha, marker on the current, rollbacks say where to', () => {
  const releases: Release[] = [
    {
      version: 6,
      kind: 'rollback',
      rollbackOf: 4,
      createdAt: '2024-01-01T00:00:00Z',
      createdBy: 'ana@x.io',
      codeSha256: 'a'.repeat(64),
      image: 'roro/credit-risk:6',
      current: true,
    },
    {
      version: 5,
      kind: 'deploy',
      createdAt: '2024-01-01T00:00:00Z',
      createdBy: 'ana@x.io',
      codeSha256: 'b'.repeat(64),
      image: 'roro/credit-risk:5',
      current: false,
    },
  ];
  const rows = releaseRows(releases, Date.parse('2024-01-01T00:05:00Z'));
  assert.deepEqual(rows[0], [
    'v6',
    'rollback to v4',
    '5 minutes ago',
    'ana@x.io',
    'a'.repeat(12),
    'roro/credit-risk:6',
    '*',
  ]);
  assert.equal(rows[1]?.[6], '');
});

test('rollback versions and the final line', () => {
  assert.equal(parseVersion('v4'), 4);
  assert.equal(parseVersion(4), 4);
  assert.equal(parseVersion(undefined), undefined);
  assert.throws(() => parseVersion('four'), /not a release number/);
  assert.throws(() => parseVersion('0'), /not a release number/);
  assert.equal(
    rollbackLine('credit-risk', undefined, { version: 7, rollbackOf: 4 }),
    'Rolled back to version 4 of credit-risk project (now version 7).',
  );
  assert.equal(rollbackLine('credit-risk', undefined, {}), 'Rolled back credit-risk project.');
});
