"""Closed-loop HTTP load generator: N threads, each with one keep-alive connection.

Bounded by both a request count and a duration, and only ever talks to the loopback address given.
Prints one JSON line: requests, errors, req/s, p50 and p99 latency in milliseconds.
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
from urllib.parse import urlsplit


def _worker(host: str, port: int, path: str, body: bytes, stop_at: float, budget: list[int],
            lock: threading.Lock, latencies: list[float], errors: list[int]) -> None:
    headers = {"Content-Type": "application/json"}
    conn = http.client.HTTPConnection(host, port, timeout=10)
    while time.perf_counter() < stop_at:
        with lock:
            if budget[0] <= 0:
                break
            budget[0] -= 1
        started = time.perf_counter()
        try:
            conn.request("POST", path, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            ok = resp.status == 200
            if resp.will_close:  # HTTP/1.0 servers close after every reply
                conn.close()
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
        if ok:
            latencies.append(time.perf_counter() - started)
        else:
            errors[0] += 1
    conn.close()


def run(url: str, body: bytes, concurrency: int, duration: float, max_requests: int) -> dict:
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("loadgen only sends traffic to the loopback address")
    budget, lock = [max_requests], threading.Lock()
    per_thread: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [[0] for _ in range(concurrency)]
    started = time.perf_counter()
    threads = [
        threading.Thread(target=_worker, args=(parts.hostname, parts.port, parts.path, body,
                                                started + duration, budget, lock, per_thread[i], errors[i]))
        for i in range(concurrency)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + 30)
    elapsed = time.perf_counter() - started
    lat = sorted(x for xs in per_thread for x in xs)

    def pct(p: float) -> float:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 3) if lat else float("nan")

    return {"requests": len(lat), "errors": sum(e[0] for e in errors),
            "rps": round(len(lat) / elapsed, 1), "p50_ms": pct(0.50), "p99_ms": pct(0.99)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--url", required=True)
    p.add_argument("--body", default='{"n": 7}')
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--max-requests", type=int, default=100_000)
    p.add_argument("--warmup", type=float, default=0.5)
    args = p.parse_args()
    body = args.body.encode()
    if args.warmup > 0:
        run(args.url, body, args.concurrency, args.warmup, 10_000)
    print(json.dumps(run(args.url, body, args.concurrency, args.duration, args.max_requests)))


if __name__ == "__main__":
    main()
