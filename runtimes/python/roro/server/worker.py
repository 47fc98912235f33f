"""One worker process: a selector on the shared listening socket plus a fixed thread pool.

The main thread owns every connection's state; pool threads serve one request at a time and hand the
connection back, so idle keep-alive connections (a gateway keeps many) never pin a thread.
A worker accepts only while it has a free thread, leaving the rest of the backlog to its siblings.
"""

from __future__ import annotations

import os
import queue
import selectors
import signal
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from .app import App, log_traceback
from .handler import Handler, request_complete

_LISTEN, _WAKE = "listen", "wake"
SLOW_SENDER_SECONDS = 0.2


class Conn:
    __slots__ = ("sock", "handler", "since", "fresh", "arriving")

    def __init__(self, sock: socket.socket, addr: tuple, app: App) -> None:
        self.sock = sock
        self.handler = Handler(sock, addr, app)
        self.since = time.monotonic()
        self.fresh = True  # accepted, no request served yet
        self.arriving = False  # part of a request has come; since is when it began

    def read_ahead(self, max_body: int) -> bool | None:
        """Takes what has arrived without blocking. True once a pool thread can serve the request
        without waiting on the client; False while more is to come; None when the client is gone."""
        pending = self.handler.ahead.pending
        try:
            data = self.sock.recv(65536, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return None
        if not data:
            return True if pending else None  # a client may shut down writing after its request
        pending += data
        return request_complete(pending, max_body)

    def has_buffered_request(self) -> bool:
        """True if a pipelined request is already in the read buffer, without blocking."""
        timeout = self.sock.gettimeout()
        self.sock.settimeout(0.0)
        try:
            return bool(self.handler.rfile.peek(1))
        except OSError:
            return False
        finally:
            self.sock.settimeout(timeout)


class Worker:
    def __init__(
        self,
        listener: socket.socket,
        app: App,
        threads: int,
        grace_seconds: float,
        keepalive_seconds: float = 75.0,
        request_timeout: float = 60.0,
        parent_pid: int | None = None,
    ) -> None:
        self.listener = listener
        self.app = app
        self.threads = max(1, threads)
        self.grace = grace_seconds
        self.keepalive = keepalive_seconds
        self.request_timeout = request_timeout
        self.first_request_timeout = min(10.0, keepalive_seconds)
        self.parent_pid = parent_pid
        self.stopping = False
        self._done: queue.SimpleQueue[tuple[Conn, bool]] = queue.SimpleQueue()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._sel = selectors.DefaultSelector()
        self._idle: set[Conn] = set()  # registered in the selector, waiting for a request
        self._inflight = 0
        self._fresh = 0
        self._accepting = False

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"\0")
        except (BlockingIOError, OSError):
            pass  # a wake-up is already pending

    def _on_signal(self, signum: int, frame: object) -> None:
        self.stopping = True
        self._wake()

    def _set_accepting(self, on: bool) -> None:
        if on and not self._accepting and not self.stopping:
            self._sel.register(self.listener, selectors.EVENT_READ, _LISTEN)
            self._accepting = True
        elif not on and self._accepting:
            self._sel.unregister(self.listener)
            self._accepting = False

    def _accept(self) -> None:
        try:
            sock, addr = self.listener.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return  # a sibling worker took it
        except OSError as e:  # out of file descriptors: back off instead of spinning
            sys.stderr.write(f"roro-serve: could not accept a connection: {e}\n")
            time.sleep(0.1)
            return
        sock.settimeout(self.request_timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._fresh += 1
        self._park(Conn(sock, addr, self.app))

    def _park(self, conn: Conn) -> None:
        conn.since = time.monotonic()
        self._idle.add(conn)
        self._sel.register(conn.sock, selectors.EVENT_READ, conn)

    def _unpark(self, conn: Conn) -> None:
        self._idle.discard(conn)
        if conn.fresh:
            conn.fresh = False
            self._fresh -= 1

    def _drop(self, conn: Conn) -> None:
        self._unpark(conn)
        try:
            self._sel.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        conn.handler.close()

    def _run(self, conn: Conn) -> None:
        """Pool thread: serve requests on conn until it is idle, closed, or the worker is stopping."""
        keep = False
        try:
            while True:
                conn.handler.serve_one()
                if conn.handler.close_connection or self.stopping:
                    break
                if not conn.has_buffered_request():
                    keep = True
                    break
        except (ConnectionError, TimeoutError):
            pass
        except Exception:
            log_traceback("error: unexpected failure while serving a connection")
        self._done.put((conn, keep))
        self._wake()

    def _collect(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass
        while True:
            try:
                conn, keep = self._done.get_nowait()
            except queue.Empty:
                return
            self._inflight -= 1
            if keep and not self.stopping:
                self._park(conn)
            else:
                conn.handler.close()

    def _sweep(self, now: float) -> None:
        for conn in list(self._idle):
            # A request still arriving after a moment is a slow sender's: it stops counting against
            # the threads this worker accepts for, so it cannot keep the worker from taking others.
            # Until then it counts, so that a request sent in two parts (headers, then body) does not
            # let one worker take more connections than it has threads while a sibling has free ones.
            if conn.arriving and conn.fresh and now - conn.since > SLOW_SENDER_SECONDS:
                conn.fresh = False
                self._fresh -= 1
            if conn.arriving:
                limit = self.request_timeout
            else:
                limit = self.first_request_timeout if conn.fresh else self.keepalive
            if self.stopping or now - conn.since > limit:
                self._drop(conn)

    def _loop(self, pool: ThreadPoolExecutor) -> None:
        # While a fresh request is still arriving, look again soon: it may turn out to be a slow sender's.
        waiting = any(c.arriving and c.fresh for c in self._idle)
        for key, _ in self._sel.select(timeout=0.05 if waiting else 1.0):
            if key.data is _LISTEN:
                self._accept()
            elif key.data is _WAKE:
                self._collect()
            else:
                conn: Conn = key.data
                # A request is read here, in the selector, until it is whole: a client that sends
                # slowly holds a buffer, never a pool thread.
                ready = conn.read_ahead(self.app.settings.max_body_bytes)
                if ready is None:
                    self._drop(conn)
                    continue
                if not ready:
                    if not conn.arriving:
                        conn.arriving = True
                        conn.since = time.monotonic()
                    continue
                conn.arriving = False
                self._unpark(conn)
                self._sel.unregister(conn.sock)
                self._inflight += 1
                pool.submit(self._run, conn)
        # Idle keep-alive connections use no thread; fresh ones will need one in a moment.
        self._set_accepting(self._inflight + self._fresh < self.threads)

    def serve(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        self.listener.setblocking(False)
        self._sel.register(self._wake_r, selectors.EVENT_READ, _WAKE)
        self._set_accepting(True)
        pool = ThreadPoolExecutor(self.threads, thread_name_prefix="roro-request")
        deadline: float | None = None
        while True:
            self._loop(pool)
            now = time.monotonic()
            if self.parent_pid is not None and os.getppid() != self.parent_pid:
                self.stopping = True  # the master died; do not linger as an orphan
            if self.stopping and deadline is None:
                deadline = now + self.grace
                self.app.draining = True
                self._set_accepting(False)
                self.listener.close()  # once every process has closed it, new connections are refused
            self._sweep(now)
            if not self.stopping:
                self._set_accepting(self._inflight + self._fresh < self.threads)
            if deadline is not None and (self._inflight == 0 or now >= deadline):
                break
        for conn in list(self._idle):
            self._drop(conn)
        sys.stdout.flush()
        sys.stderr.flush()
        if self._inflight:
            sys.stderr.write(f"roro-serve: {self._inflight} request(s) still running after the grace period; exiting\n")
            sys.stderr.flush()
            os._exit(0)  # pool threads are stuck in user code and would block a normal exit
        pool.shutdown(wait=True)
        return 0
