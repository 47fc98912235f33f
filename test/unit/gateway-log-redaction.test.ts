import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactSecretQueries } from '../../gateway/log-redaction.js';

// Lines as nginx writes them to its error log (the request line, upstream URI and referrer come as sent).
const TOKEN = '0f3c9a7e1b2d4c6a8e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b';

test('an error log line keeps its words and loses every query that carries a token', () => {
  const line =
    `2026/11/30 16:42:13 [error] 694#694: *25 upstream prematurely closed connection while reading response header from upstream, ` +
    `client: 127.0.0.1, server: localhost, request: "GET /shop--nb-n1/lab?token=${TOKEN} HTTP/1.1", ` +
    `upstream: "http://127.0.0.1:32768/shop--nb-n1/lab?token=${TOKEN}", host: "localhost:7443", ` +
    `referrer: "https://localhost:7443/shop--nb-n1/tree?_xsrf=1&token=${TOKEN}"\n`;
  const out = redactSecretQueries(line);
  assert.ok(!out.includes(TOKEN), out);
  assert.equal(
    out,
    `2026/11/30 16:42:13 [error] 694#694: *25 upstream prematurely closed connection while reading response header from upstream, ` +
      `client: 127.0.0.1, server: localhost, request: "GET /shop--nb-n1/lab?[redacted] HTTP/1.1", ` +
      `upstream: "http://127.0.0.1:32768/shop--nb-n1/lab?[redacted]", host: "localhost:7443", ` +
      `referrer: "https://localhost:7443/shop--nb-n1/tree?[redacted]"\n`,
  );
});

test('secret-named parameters of any case, nested or URL-encoded, are redacted', () => {
  for (const query of [
    `?token=${TOKEN}`,
    `?a=1&Access_Token=${TOKEN}`,
    `?api_key=${TOKEN}&b=2`,
    `?password=${TOKEN}`,
    `?X-Amz-Signature=${TOKEN}`,
    `?next=/lab?token=${TOKEN}`,
    `?next=%2Flab%3Ftoken%3D${TOKEN}`,
  ]) {
    const out = redactSecretQueries(`request: "GET /p${query} HTTP/1.1"`);
    assert.equal(out, 'request: "GET /p?[redacted] HTTP/1.1"', query);
  }
});

test('lines without a secret query are left as they are, several lines at once', () => {
  const lines =
    '2026/11/30 [warn] 1#1: an upstream response is buffered to a temporary file, request: "GET /p/x?page=2&q=tokens HTTP/1.1"\n' +
    '2026/11/30 [error] 1#1: roro: cannot use instance 127.0.0.1:1: what?\n' +
    `2026/11/30 [error] 1#1: client intended to send too large body, request: "POST /nb/?token=${TOKEN} HTTP/1.1"\n`;
  const out = redactSecretQueries(lines).split('\n');
  assert.equal(out[0], lines.split('\n')[0]);
  assert.equal(out[1], lines.split('\n')[1]);
  assert.equal(
    out[2],
    '2026/11/30 [error] 1#1: client intended to send too large body, request: "POST /nb/?[redacted] HTTP/1.1"',
  );
});
