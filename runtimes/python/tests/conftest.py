"""Start the real roro-serve in a subprocess against the fixture modules."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Reply:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        assert self.headers.get("content-type") == "application/json", self.headers
        return json.loads(self.body)


class Server:
    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        full_env = dict(os.environ, PYTHONPATH=str(PACKAGE_ROOT), PYTHONUNBUFFERED="1")
        full_env.update(env or {})
        # Files, not pipes: a full pipe would block the server's log writes.
        self.out, self.err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "roro.server", "--host", "127.0.0.1", "--port", str(self.port),
             "--grace-period", "10", *args],
            cwd=FIXTURES, env=full_env, stdout=self.out, stderr=self.err,
        )

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def reachable(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.logs()[1]}")
            if self.reachable() and self.request("GET", "/_health").status == 200:
                return
            time.sleep(0.05)
        raise AssertionError("server did not become healthy")

    def request(self, method: str, path: str, body: bytes | str | dict | None = None,
                headers: dict[str, str] | None = None, conn: http.client.HTTPConnection | None = None) -> Reply:
        if isinstance(body, dict):
            body = json.dumps(body)
        own = conn is None
        conn = conn or self.connect()
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
        finally:
            if own:
                conn.close()

    def logs(self) -> tuple[str, str]:
        texts = []
        for f in (self.out, self.err):
            f.seek(0)
            texts.append(f.read().decode("utf-8", "replace"))
        return texts[0], texts[1]

    def wait(self, timeout: float = 30.0) -> tuple[int, str, str]:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return (self.proc.returncode, *self.logs())

    def stop(self) -> tuple[int, str, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.wait()


@pytest.fixture
def start_server():
    servers: list[Server] = []

    def start(*args: str, ready: bool = True, env: dict[str, str] | None = None) -> Server:
        server = Server(*args, env=env)
        servers.append(server)
        if ready:
            server.wait_ready()
        return server

    yield start
    for server in servers:
        server.stop()


FUNCS = [f"funcs.{name}" for name in (
    "add", "nothing", "boom", "download", "upload", "stamp", "misc", "unencodable",
    "np_array", "np_scalar", "pd_frame", "pd_series")]


@pytest.fixture(scope="module")
def server():
    args = [a for name in FUNCS for a in ("--function", name)]
    s = Server(*args, "--workers", "2", "--threads", "4", "--max-body-bytes", "65536",
               "--app-name", "demo", "--version", "7")
    s.wait_ready()
    yield s
    s.stop()
