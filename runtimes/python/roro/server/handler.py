"""HTTP/1.1 framing on top of http.server's request parser.

One Handler lives as long as its connection. The worker calls serve_one() for each request, so an
idle keep-alive connection waits in the worker's selector instead of holding a thread.
"""

from __future__ import annotations

import io
import os
import re
import socket
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler

from .app import App, BodyTooLarge, Response, error

_CHUNK_LINE_LIMIT = 1024
_HEAD_LIMIT = 128 * 1024  # past this without a blank line, the parser answers 431 or 400
_CONTENT_LENGTH = re.compile(rb"\ncontent-length:[ \t]*(\d+)[ \t]*\r?(?:\n|$)")


def request_complete(data: bytes | bytearray, max_body: int) -> bool:
    """True when `data` starts with a whole request, or with one a pool thread must answer (bad or
    too large) or read itself (chunked, Expect: 100-continue); False while more is still to come."""
    ends = [(i, len(sep)) for sep in (b"\r\n\r\n", b"\n\n") if (i := data.find(sep)) >= 0]
    if not ends:
        return len(data) > _HEAD_LIMIT
    end, sep = min(ends)
    head = bytes(data[:end]).lower()
    if b"\ntransfer-encoding:" in head or b"\nexpect:" in head:
        return True
    m = _CONTENT_LENGTH.search(head)
    if m is None:
        return True  # no body, or a Content-Length the handler answers 400
    length = int(m.group(1))
    return length > max_body or len(data) >= end + sep + length


class ReadAhead(io.RawIOBase):
    """The socket, read through bytes the worker already took from it while the request arrived."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.pending = bytearray()

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int | None:  # type: ignore[override]
        if self.pending:
            n = min(len(b), len(self.pending))
            b[:n] = self.pending[:n]
            del self.pending[:n]
            return n
        try:
            return self.sock.recv_into(b)
        except BlockingIOError:
            return None  # non-blocking peek with nothing to read


class BadRequest(Exception):
    """Raised when the request framing (Content-Length, chunked encoding) is broken."""


def access_log(client: str, method: str, path: str, status: int, started: float, nbytes: int) -> None:
    ms = (time.perf_counter() - started) * 1000
    line = f'{client} "{method} {path}" {status} {ms:.1f}ms {nbytes}B\n'
    try:
        os.write(1, line.encode("utf-8", "replace"))  # one write: atomic on pipes, no interleaving
    except OSError:
        pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "roro"
    sys_version = ""

    def __init__(self, sock: socket.socket, client_address: tuple, app: App) -> None:
        # BaseHTTPRequestHandler.__init__ would serve the whole connection; the worker drives it instead.
        self.request = self.connection = sock
        self.client_address = client_address
        self.app = app
        self.ahead = ReadAhead(sock)
        self.rfile = io.BufferedReader(self.ahead)
        self.wfile = sock.makefile("wb")
        self.close_connection = True
        self.command = None
        self._started = time.perf_counter()

    def version_string(self) -> str:
        return self.server_version

    def serve_one(self) -> None:
        self._started = time.perf_counter()
        self.command = None
        self.path = ""  # the handler is reused, so a malformed request must not log the previous path
        self.handle_one_request()

    def close(self) -> None:
        for f in (self.rfile, self.wfile):
            try:
                f.close()
            except OSError:
                pass
        try:
            self.connection.close()
        except OSError:
            pass

    # http.server logs through these; the access log is written by _send instead.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _body_length(self) -> int | None:
        """Declared body length; None for chunked bodies."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return None
        raw = self.headers.get("Content-Length")
        if raw is None:
            return 0
        if not raw.strip().isdigit():
            raise BadRequest(f"Content-Length {raw!r} is not a number")
        return int(raw)

    def _read_chunked(self, limit: int) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(_CHUNK_LINE_LIMIT)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError as e:
                raise BadRequest("chunked request body has a malformed chunk size") from e
            if size == 0:
                while self.rfile.readline(_CHUNK_LINE_LIMIT) not in (b"\r\n", b"\n", b""):
                    pass  # trailers are ignored
                return b"".join(parts)
            total += size
            if total > limit:
                raise BodyTooLarge()
            parts.append(self._read_exact(size))
            self.rfile.readline(_CHUNK_LINE_LIMIT)

    def _read_exact(self, n: int) -> bytes:
        data = self.rfile.read(n)
        if len(data) != n:
            raise ConnectionError("client closed the connection before sending the whole body")
        return data

    def _read_body(self) -> bytes:
        length = self._body_length()
        limit = self.app.settings.max_body_bytes
        if length is None:
            return self._read_chunked(limit)
        if length > limit:
            raise BodyTooLarge()
        return self._read_exact(length) if length else b""

    def handle_expect_100(self) -> bool:
        # Refuse an oversized body before the client sends it.
        try:
            length = self._body_length()
        except BadRequest:
            length = 0
        if length is not None and length > self.app.settings.max_body_bytes:
            self.close_connection = True
            limit = self.app.settings.max_body_bytes
            self._send(error(413, f"request body is larger than the server's limit of {limit} bytes"))
            return False
        return super().handle_expect_100()

    def _handle(self) -> None:
        consumed = False

        def read_body() -> bytes:
            nonlocal consumed
            consumed = True
            return self._read_body()

        try:
            has_body = self._body_length() != 0
            response = self.app.dispatch(self.command or "", self.path, self.headers, read_body)
        except BadRequest as e:
            has_body, response = True, error(400, str(e))
        if has_body and not consumed:
            self.close_connection = True  # the unread body would be parsed as the next request
        self._send(response)

    do_GET = do_POST = do_OPTIONS = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Called by http.server for malformed requests; the protocol wants JSON errors everywhere.
        self.close_connection = True
        self._send(error(code, message or HTTPStatus(code).phrase))

    def _send(self, response: Response) -> None:
        if self.app.draining:
            self.close_connection = True
        body = response.body
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in response.headers + self.app.cors_headers():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)
        self.wfile.flush()
        path = (getattr(self, "path", None) or "-").split("?", 1)[0]
        access_log(self.client_address[0], self.command or "-", path, response.status, self._started, len(body))
