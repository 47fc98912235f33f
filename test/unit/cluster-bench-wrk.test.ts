import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWrk } from '../../bench/cluster/wrk.js';

const report = (extra: string) => `Running 10s test @ https://127.0.0.1:7443/p/hello
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.01ms    9.12ms 120.50ms   97.10%
    Req/Sec     2.31k   210.00     2.60k    71.00%
  Latency Distribution
     50%    2.84ms
     75%  612.00us
     90%    5.10ms
     99%    1.02s
  23100 requests in 10.00s, 5.10MB read
${extra}Requests/sec:   2310.45
Transfer/sec:    522.00KB
`;

test('wrk: requests per second and percentiles, in milliseconds whatever unit wrk chose', () => {
  assert.deepEqual(parseWrk(report('')), { rps: 2310.45, p50Ms: 2.84, p99Ms: 1020, errors: 0 });
});

test('wrk: non-2xx answers and every kind of socket error count as failed requests', () => {
  const out = report(
    '  Socket errors: connect 1, read 2, write 3, timeout 4\n  Non-2xx or 3xx responses: 10\n',
  );
  assert.equal(parseWrk(out).errors, 20);
});

test('wrk: a report without Requests/sec is refused with the report', () => {
  assert.throws(
    () => parseWrk('unable to connect to 127.0.0.1:7443 Connection refused'),
    /Requests\/sec.*\n.*refused/s,
  );
});
