"""The master process: forks workers that share one listening socket and replaces any that die.

Functions are imported before the fork, so every worker starts ready and shares the master's
memory pages (large models are loaded once).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections import deque
from typing import Callable

from .app import log_traceback

_CRASH_WINDOW_SECONDS = 30.0
_CRASH_LIMIT = 5


def _log(message: str) -> None:
    sys.stderr.write(f"roro-serve: {message}\n")
    sys.stderr.flush()


def _spawn(serve: Callable[[int], int]) -> int:
    master = os.getpid()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    # The master's handlers would signal the siblings; the worker installs its own in serve().
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    code = 1
    try:
        code = serve(master)
    except BaseException:
        log_traceback("error: worker failed")
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def run_master(serve: Callable[[int], int], workers: int, on_stop: Callable[[], None]) -> int:
    """Run `workers` children, each calling serve(master_pid); returns the master's exit code.

    on_stop runs once when stopping starts; the caller closes its copy of the listening socket there.
    """
    children: set[int] = set()
    stopping = False
    crashes: deque[float] = deque()

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        if not stopping:
            on_stop()
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def start() -> None:
        pid = _spawn(serve)
        children.add(pid)
        if stopping:  # the signal came while forking
            os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for _ in range(workers):
        start()
    code = 0
    while children:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        children.discard(pid)
        if stopping:
            continue
        now = time.monotonic()
        crashes.append(now)
        while crashes and now - crashes[0] > _CRASH_WINDOW_SECONDS:
            crashes.popleft()
        _log(f"worker {pid} exited with status {os.waitstatus_to_exitcode(status)}")
        if len(crashes) >= _CRASH_LIMIT:
            _log(f"{_CRASH_LIMIT} workers died within {_CRASH_WINDOW_SECONDS:.0f}s; stopping the service")
            code = 1
            on_signal(signal.SIGTERM, None)
            continue
        start()
    return code
