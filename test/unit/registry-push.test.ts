import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  digestReference,
  pullNotFound,
  pushDigest,
  pushError,
  pushFailure,
  splitTag,
} from '../../containers/registry-push.js';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

test("a push's digest comes from its aux event, else from the engine's status line", () => {
  // What dockerd 20.10 sends at the end of a push.
  const events = [
    { status: 'The push refers to repository [10.0.0.1:5000/roro/app-x]' },
    { status: 'Pushed', id: '3f1c' } as never,
    { status: `7: digest: ${A} size: 1573` },
    { aux: { Tag: '7', Digest: A, Size: 1573 } },
  ];
  assert.equal(pushDigest(events), A);
  assert.equal(pushDigest([{ status: `7: digest: ${B} size: 1573` }]), B);
  // The last one wins: a stream that names two (retried tag) reports the final image.
  assert.equal(pushDigest([{ aux: { Digest: A } }, { aux: { Digest: B } }]), B);
  assert.equal(pushDigest([{ status: 'Preparing' }, { status: 'Pushing' }]), undefined);
  assert.equal(pushDigest([{ aux: { Digest: 'sha256:short' } }]), undefined);
  assert.equal(pushDigest([{ status: 'digest: md5:abc size: 1' }]), undefined);
});

test("a push's error event is found, and becomes an error naming the fix", () => {
  assert.equal(pushError([{ status: 'Preparing' }]), undefined);
  assert.equal(
    pushError([
      { status: 'Preparing' },
      { error: 'x', errorDetail: { message: 'unauthorized: authentication required ' } },
    ]),
    'unauthorized: authentication required',
  );
  const cases: [string, string, RegExp][] = [
    [
      'Get "https://10.0.0.1:5000/v2/": dial tcp 10.0.0.1:5000: connect: connection refused',
      'registry_unreachable',
      /roro server status/,
    ],
    [
      'Get "https://10.0.0.1:5000/v2/": x509: certificate signed by unknown authority',
      'registry_untrusted',
      /\/etc\/docker\/certs\.d\/10\.0\.0\.1:5000\/ca\.crt/,
    ],
    ['unauthorized: authentication required', 'registry_login_refused', /roro server down && roro server up/],
    ['no basic auth credentials', 'registry_login_refused', /password/],
    ['blob upload unknown', 'registry_push_failed', /roro server logs registry/],
  ];
  for (const [message, code, hint] of cases) {
    const err = pushFailure('10.0.0.1:5000', 'roro/app-x:7', message);
    assert.equal(err.code, code, message);
    assert.match(err.hint ?? '', hint, message);
    assert.match(err.message, /^Pushing roro\/app-x:7 to the registry at 10\.0\.0\.1:5000 failed: /);
  }
});

test('references: a digest reference names registry, repository and digest; local names split at the tag', () => {
  assert.equal(digestReference('10.0.0.1:5000', 'roro/app-x', A), `10.0.0.1:5000/roro/app-x@${A}`);
  assert.throws(() => digestReference('10.0.0.1:5000', 'roro/app-x', 'latest'), /not a sha256 digest/);
  assert.deepEqual(splitTag('roro/app-x:7'), { repository: 'roro/app-x', tag: '7' });
  assert.deepEqual(splitTag('roro/base:bookworm'), { repository: 'roro/base', tag: 'bookworm' });
  assert.deepEqual(splitTag('10.0.0.1:5000/roro/app-x'), {
    repository: '10.0.0.1:5000/roro/app-x',
    tag: 'latest',
  });
  assert.deepEqual(splitTag('roro/app-x'), { repository: 'roro/app-x', tag: 'latest' });
});

test('only the registry saying it lacks an image counts as not found; no answer is an error to retry', () => {
  assert.equal(pullNotFound({ statusCode: 404, message: 'x' }), true);
  assert.equal(
    pullNotFound(
      'manifest for 10.0.0.1:7450/roro/app-x@sha256:00 not found: manifest unknown: manifest unknown',
    ),
    true,
  );
  assert.equal(pullNotFound({ message: '(HTTP code 404) unexpected - manifest unknown' }), true);
  assert.equal(pullNotFound({ message: 'The operation was aborted due to timeout' }), false);
  assert.equal(pullNotFound({ message: 'connect ECONNREFUSED 10.0.0.1:7450' }), false);
  assert.equal(pullNotFound('Get "https://10.0.0.1:7450/v2/": net/http: TLS handshake timeout'), false);
  assert.equal(pullNotFound({ statusCode: 500, message: 'server error' }), false);
});
