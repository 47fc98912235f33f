"""The function protocol itself, independent of sockets: a request goes in, a Response comes out."""

from __future__ import annotations

import hmac
import json
import sys
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from . import encoding, multipart
from .loader import ExposedFunction

JSON = "application/json"


class BodyTooLarge(Exception):
    """Raised by a body reader when the request body exceeds --max-body-bytes."""


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = JSON
    headers: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Settings:
    app_name: str = "roro"
    version: str = "0"
    token: str | None = None
    cors_allow_origins: str | None = None
    max_body_bytes: int = 32 * 1024 * 1024
    # Callers get a generic 500 and the exception text goes to the log only (RORO_HIDE_ERRORS=1).
    hide_errors: bool = False


def error(status: int, message: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, encoding.dumps({"error": message}), JSON, headers or [])


def _exception_message(e: BaseException) -> str:
    text = str(e)
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def _request(request_id: str) -> str:
    return f" (request {request_id})" if request_id else ""


def log_traceback(context: str) -> None:
    # One write per traceback so lines from concurrent requests do not interleave.
    sys.stderr.write(f"{context}\n{traceback.format_exc()}")
    sys.stderr.flush()


class App:
    def __init__(self, functions: Mapping[str, ExposedFunction], settings: Settings) -> None:
        self.functions = dict(functions)
        self.settings = settings
        self.draining = False
        meta = {
            "app": settings.app_name,
            "version": settings.version,
            "functions": {name: fn.describe() for name, fn in self.functions.items()},
        }
        self._metadata = encoding.dumps(meta)
        self._token = settings.token.encode("utf-8") if settings.token else None

    def cors_headers(self) -> list[tuple[str, str]]:
        origins = self.settings.cors_allow_origins
        if not origins:
            return []
        return [
            ("Access-Control-Allow-Origin", origins),
            ("Access-Control-Allow-Methods", "GET,POST"),
            ("Access-Control-Allow-Headers", "Content-Type, Authorization"),
        ]

    def _authorized(self, headers: Mapping[str, str]) -> bool:
        if self._token is None:
            return True
        scheme, _, value = (headers.get("Authorization") or "").strip().partition(" ")
        if scheme.lower() != "token":
            return False
        return hmac.compare_digest(value.strip().encode("utf-8"), self._token)

    def dispatch(
        self, method: str, path: str, headers: Mapping[str, str], read_body: Callable[[], bytes]
    ) -> Response:
        path = path.split("?", 1)[0]
        if method == "OPTIONS":  # preflight requests carry no credentials, so answer before auth
            return Response(200, b"", JSON, [("Allow", "GET, POST, OPTIONS")])
        if path == "/_health":
            if method != "GET":
                return error(405, f"{method} is not allowed on /_health; use GET", [("Allow", "GET")])
            if self.draining:
                return error(503, "the server is shutting down")
            return Response(200, b'{"status":"ok"}')
        if not self._authorized(headers):
            return error(403, "invalid or missing token; send the header 'Authorization: Token <token>'")
        if path == "/":
            if method != "GET":
                return error(405, f"{method} is not allowed on /; use GET for metadata", [("Allow", "GET")])
            return Response(200, self._metadata)
        fn = self.functions.get(path[1:])
        if fn is None:
            return error(404, f"no function at {path}; GET / lists the functions")
        if method != "POST":
            return error(405, f"{method} is not allowed on {path}; call functions with POST", [("Allow", "POST")])
        try:
            body = read_body()
        except BodyTooLarge:
            limit = self.settings.max_body_bytes
            return error(413, f"request body is larger than the server's limit of {limit} bytes")
        return self.call(fn, headers.get("Content-Type") or "", body, headers.get("X-Request-Id") or "")

    def _arguments(self, content_type: str, body: bytes) -> dict[str, Any] | Response:
        mime = content_type.split(";", 1)[0].strip().lower()
        if mime == "multipart/form-data":
            try:
                return dict(multipart.parse(body, content_type))
            except multipart.MultipartError as e:
                return error(400, str(e))
        # Any other Content-Type is read as JSON: clients such as `curl -d` label JSON as a form.
        if not body.strip():  # a bare POST calls a function that takes no arguments
            return {}
        try:
            kwargs = json.loads(body)
        except ValueError as e:
            return error(400, f"request body is not valid JSON: {e}")
        except RecursionError:
            # Left uncaught it would drop the connection, and the gateway would answer 502.
            return error(400, f"request body nests arrays or objects deeper than the server decodes "
                              f"(about {sys.getrecursionlimit()} levels); send a flatter JSON object")
        if not isinstance(kwargs, dict):
            return error(400, "request body must be a JSON object whose keys are the function's arguments")
        return kwargs

    def _failed(self, fn: ExposedFunction, e: BaseException, request_id: str) -> Response:
        if not self.settings.hide_errors:
            return error(500, _exception_message(e))
        return error(500, f"function {fn.name} failed{_request(request_id)}; its error is in the service's log: read it with `roro logs`")

    def call(self, fn: ExposedFunction, content_type: str, body: bytes, request_id: str = "") -> Response:
        kwargs = self._arguments(content_type, body)
        if isinstance(kwargs, Response):
            return kwargs
        try:
            fn.signature.bind(**kwargs)
        except TypeError as e:
            return error(422, str(e))
        try:
            result = fn.func(**kwargs)
        except (Exception, SystemExit) as e:
            log_traceback(f"error: function {fn.name} raised {type(e).__name__}{_request(request_id)}")
            return self._failed(fn, e, request_id)
        return self._encode_result(fn, result, request_id)

    def _encode_result(self, fn: ExposedFunction, result: Any, request_id: str) -> Response:
        try:
            if hasattr(result, "read") and callable(result.read):
                return Response(200, _read_file(result), "application/octet-stream")
            return Response(200, encoding.dumps(result))
        except Exception as e:
            log_traceback(f"error: could not encode the return value of {fn.name}{_request(request_id)}")
            return self._failed(fn, e, request_id)


def _read_file(f: Any) -> bytes:
    try:
        data = f.read()
    finally:
        close = getattr(f, "close", None)
        if callable(close):
            close()
    if isinstance(data, str):
        return data.encode("utf-8")
    return bytes(data)
