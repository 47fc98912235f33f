"""HTTP to the roro API with the standard library only.

Inside roro containers the API is a Unix socket (RORO_API_SOCKET, /run/roro/api.sock) and the
token is RORO_API_TOKEN, both set by the platform. Elsewhere, set RORO_API_URL (or RORO_URL) and
RORO_API_TOKEN (or RORO_TOKEN) to a token from `roro login`.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import urllib.parse
from typing import Any, BinaryIO, Mapping

DEFAULT_SOCKET = "/run/roro/api.sock"
TIMEOUT = 300.0


class RoroError(Exception):
    """A request to the roro API failed; the message is the server's, with its hint."""

    def __init__(self, message: str, status: int | None = None, code: str | None = None, hint: str | None = None):
        super().__init__(message + (f" ({hint})" if hint else ""))
        self.status, self.code, self.hint = status, code, hint


class NotFoundError(RoroError):
    """The project, repository, version or tag does not exist (or is not yours)."""


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over an AF_UNIX socket; the Host header is only a formality."""

    def __init__(self, path: str, timeout: float = TIMEOUT):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class Client:
    def __init__(self, url: str | None = None, token: str | None = None, socket_path: str | None = None):
        env = os.environ
        self.url = url or env.get("RORO_API_URL") or env.get("RORO_URL") or None
        self.socket_path = socket_path or env.get("RORO_API_SOCKET") or DEFAULT_SOCKET
        self.token = token or env.get("RORO_API_TOKEN") or env.get("RORO_TOKEN")
        if not self.token:
            raise RoroError(
                "No roro API token: RORO_API_TOKEN is not set.",
                hint="roro sets it in its containers; elsewhere export RORO_API_URL and RORO_API_TOKEN "
                "(a token from `roro login`)",
            )
        if not self.url and not os.path.exists(self.socket_path):
            raise RoroError(
                f"The roro API socket {self.socket_path} does not exist.",
                hint="outside roro containers export RORO_API_URL, e.g. http://127.0.0.1:7400",
            )

    def _connection(self) -> http.client.HTTPConnection:
        if not self.url:
            return UnixHTTPConnection(self.socket_path)
        u = urllib.parse.urlsplit(self.url)
        cls = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
        return cls(u.hostname or "127.0.0.1", u.port, timeout=TIMEOUT)

    def _prefix(self) -> str:
        return urllib.parse.urlsplit(self.url).path.rstrip("/") if self.url else ""

    def open(
        self,
        method: str,
        path: str,
        body: bytes | BinaryIO | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """Sends a request and returns the open response; raises RoroError for any non-2xx answer."""
        h = {"Authorization": f"Bearer {self.token}", "Accept": "application/json", **(headers or {})}
        conn = self._connection()
        try:
            conn.request(method, self._prefix() + path, body=body, headers=h)
            res = conn.getresponse()
        except OSError as err:
            conn.close()
            where = self.url or self.socket_path
            raise RoroError(f"Cannot reach the roro API at {where}: {err}.") from err
        if res.status >= 300:
            try:
                raise_for(res.status, res.read())
            finally:
                conn.close()
        return conn, res

    def json(self, method: str, path: str, payload: Any = None) -> Any:
        body = None if payload is None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn, res = self.open(method, path, body, headers)
        try:
            return json.loads(res.read() or b"null")
        finally:
            conn.close()


def raise_for(status: int, raw: bytes) -> None:
    try:
        err = json.loads(raw).get("error") or {}
    except (ValueError, AttributeError):
        err = {}
    message = err.get("message") or f"The roro API answered HTTP {status}."
    cls = NotFoundError if status == 404 else RoroError
    raise cls(message, status=status, code=err.get("code"), hint=err.get("hint"))


def quote(segment: str) -> str:
    return urllib.parse.quote(str(segment), safe="")
