"""Startup, readiness, concurrency and shutdown of the real server process."""

import signal
import socket
import threading
import time
from pathlib import Path

import pytest


def test_health_only_after_slow_import(start_server):
    s = start_server("--function", "slow_import.ping", ready=False)
    # The module sleeps 2 s on import; the port is not bound until it has loaded.
    time.sleep(0.5)
    assert s.proc.poll() is None
    assert not s.reachable()
    s.wait_ready()
    assert s.request("GET", "/_health").status == 200
    assert s.request("POST", "/ping").json() == "pong"


def test_import_error_exits_non_zero_with_message(start_server):
    s = start_server("--function", "broken.predict", ready=False)
    code, out, err = s.wait()
    assert code != 0
    assert "Traceback" in err
    assert err.rstrip().splitlines()[-1] == (
        "error: could not import broken.predict: RuntimeError: model file /volumes/data/model.pkl is missing")


def test_missing_attribute_is_reported(start_server):
    s = start_server("--function", "funcs.nope", ready=False)
    code, _, err = s.wait()
    assert code != 0
    assert "error: could not import funcs.nope: module 'funcs' has no attribute 'nope'" in err


def _call_all(s, n, body):
    results = [None] * n

    def call(i):
        results[i] = s.request("POST", "/stamp", body).json()

    threads = [threading.Thread(target=call, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.parametrize("workers,threads", [("1", "4"), ("2", "2")])
def test_concurrent_requests_overlap(start_server, workers, threads):
    s = start_server("--function", "funcs.stamp", "--workers", workers, "--threads", threads)
    results = _call_all(s, 4, {"seconds": 1.0})
    assert all(r is not None for r in results)
    # Every call started before any call ended: all four ran at the same time.
    assert max(r["start"] for r in results) < min(r["end"] for r in results)
    assert len({r["pid"] for r in results}) == int(workers)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_finishes_in_flight_request(start_server, tmp_path: Path, workers):
    s = start_server("--function", "funcs.slow", "--workers", workers)
    marker = tmp_path / "started"
    reply = {}

    def call():
        reply["r"] = s.request("POST", "/slow", {"seconds": 3, "marker": str(marker)})

    t = threading.Thread(target=call)
    t.start()
    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert marker.exists()
    s.proc.send_signal(signal.SIGTERM)
    # New connections are refused while the in-flight request is still running.
    refused_while_busy = False
    deadline = time.monotonic() + 2.5
    while t.is_alive() and time.monotonic() < deadline:
        if not s.reachable():
            refused_while_busy = t.is_alive()
            break
        time.sleep(0.02)
    code, out, err = s.wait()
    t.join(30)
    assert refused_while_busy
    assert reply["r"].status == 200 and reply["r"].json() == {"done": True}
    assert reply["r"].headers.get("connection") == "close"
    assert code == 0, err
    assert '"POST /slow" 200' in out
    assert not s.reachable()


def test_hide_errors_answers_a_generic_500_and_logs_the_exception(start_server):
    server = start_server("--function", "funcs.boom", env={"RORO_HIDE_ERRORS": "1"})
    reply = server.request("POST", "/boom", {"x": 1}, {"X-Request-Id": "req-42"})
    assert reply.status == 500
    message = reply.json()["error"]
    assert message.startswith("function boom failed (request req-42);") and "roro logs" in message
    assert "bad x" not in message
    _, err = server.stop()[1:]
    assert "error: function boom raised ValueError (request req-42)" in err and "ValueError: bad x" in err


def test_slow_senders_hold_no_thread(start_server):
    """Clients that send their request a byte at a time wait in the selector, not on a pool thread."""
    server = start_server("--function", "funcs.add", "--workers", "1", "--threads", "2")
    body = b'{"a": 40}'
    head = b"POST /add HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)
    slow = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(10)]
    try:
        for s in slow:
            s.sendall(head + body[:1])
        for _ in range(4):  # each would wait up to the 60 s read timeout behind the slow ones otherwise
            started = time.monotonic()
            conn = server.connect()
            conn.timeout = 5
            assert server.request("POST", "/add", {"a": 1}, conn=conn).json() == 3
            conn.close()
            assert time.monotonic() - started < 5
        for s in slow:  # the slow requests are served once they are whole
            s.sendall(body[1:])
        for s in slow:
            reply = b""
            while not reply.endswith(b"42"):
                chunk = s.recv(4096)
                assert chunk, reply
                reply += chunk
            assert reply.startswith(b"HTTP/1.1 200 ")
    finally:
        for s in slow:
            s.close()
