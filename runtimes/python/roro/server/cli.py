"""roro-serve: serve Python functions over HTTP with the function protocol.

Startup order matters to the platform: functions are imported before the socket is bound, so a
service that answers at all has its model loaded, and an import error exits non-zero with a
one-line reason the platform can show.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import traceback

from .. import __version__
from .app import App, Settings
from .cpu import available_cpus
from .loader import ImportFailed, load_functions
from .prefork import run_master
from .worker import Worker


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    env = os.environ
    p = argparse.ArgumentParser(prog="roro-serve", description="Serve Python functions over HTTP.")
    p.add_argument("--function", "-f", action="append", required=True, metavar="MODULE.FUNC",
                   help="function to expose at POST /<name>; repeat for several")
    p.add_argument("--host", default=env.get("HOST", "0.0.0.0"))
    p.add_argument("--port", type=int, default=int(env.get("PORT", "8080")))
    p.add_argument("--workers", type=_positive_int, default=None,
                   help="worker processes (default: the container's CPU limit)")
    p.add_argument("--threads", type=_positive_int, default=4, help="threads per worker (default 4)")
    p.add_argument("--token", default=env.get("RORO_SERVICE_TOKEN") or None,
                   help="require 'Authorization: Token <token>' (default: $RORO_SERVICE_TOKEN)")
    p.add_argument("--cors-allow-origins", default=env.get("RORO_CORS_ALLOW_ORIGINS") or None)
    p.add_argument("--max-body-bytes", type=_positive_int, default=32 * 1024 * 1024)
    p.add_argument("--hide-errors", action="store_true",
                   default=env.get("RORO_HIDE_ERRORS", "").lower() in ("1", "true", "yes"),
                   help="answer a failing function with a generic 500 and log the exception only "
                        "(default: $RORO_HIDE_ERRORS)")
    p.add_argument("--app-name", default=env.get("RORO_APP_NAME", "roro"))
    p.add_argument("--version", default=env.get("RORO_APP_VERSION", "0"),
                   help="version reported by GET / (not the server's own version)")
    p.add_argument("--grace-period", type=float, default=20.0,
                   help="seconds in-flight requests may run after SIGTERM (default 20)")
    p.add_argument("--keepalive", type=float, default=75.0, help="idle keep-alive timeout in seconds")
    return p


def _err(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _import(specs: list[str]):
    try:
        return load_functions(specs)
    except ImportFailed as e:
        cause = e.__cause__
        if cause is not None:
            sys.stderr.write("".join(traceback.format_exception(cause)))
        _err(f"error: {e}")
        return None


def _listen(host: str, port: int) -> socket.socket | None:
    try:
        return socket.create_server((host, port), backlog=1024)
    except OSError as e:
        _err(f"error: could not listen on {host}:{port}: {e.strerror or e}; choose another --port")
        return None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)  # the project's code lives in the working directory (/app)
    functions = _import(args.function)
    if functions is None:
        return 1
    settings = Settings(args.app_name, args.version, args.token, args.cors_allow_origins, args.max_body_bytes,
                        hide_errors=args.hide_errors)
    app = App(functions, settings)
    listener = _listen(args.host, args.port)
    if listener is None:
        return 1
    workers = args.workers or available_cpus()
    names = ", ".join(f"/{n}" for n in functions)
    _err(f"roro-serve {__version__}: serving {names} on http://{args.host}:{args.port} "
         f"with {workers} worker(s) x {args.threads} thread(s)")

    def serve(parent_pid: int | None) -> int:
        return Worker(listener, app, args.threads, args.grace_period, args.keepalive,
                      parent_pid=parent_pid).serve()

    if workers == 1:
        code = serve(None)
    else:
        code = run_master(serve, workers, on_stop=listener.close)
    _err("roro-serve: stopped")
    return code


if __name__ == "__main__":
    sys.exit(main())
