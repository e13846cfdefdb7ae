"""The gunicorn worker of ``signsvc serve``: slow or idle clients never hold a thread.

``BufferingWorker`` is gunicorn's threaded worker (``gthread``) with these guarantees:

- A connection gets a thread only once its whole request -- head and body -- is in
  memory: the worker's event loop reads it without blocking, so thousands of clients
  sending one byte a second cost no thread. The request head must be complete within
  ``head_timeout`` seconds and the whole request within ``request_timeout`` seconds (plus
  one second per ``min_rate`` bytes of a declared body) of the first wait; past either, the
  client gets 408 and the connection is closed. A connection that never sent a byte is
  closed without an answer. All requests being read by one worker hold at most
  ``max_buffered`` bytes; the request that would go over gets 503 and is closed. A
  stopping worker does not wait for requests still being read (503, closed).
- Size bound: a declared ``Content-Length`` over ``max_body`` is handed over at once (the
  application answers 413 without reading it), a chunked body is buffered only until it
  is over the bound; either way the connection is closed after the answer.
- A request line over ``limit_request_line`` (414) or a head over ``max_head`` (431) is
  refused from the event loop. Every error gunicorn itself answers (400 for a NUL in a
  header, 414, 431, 501, ...) is problem+json (RFC 9457, Vietnamese and English) with an
  ``X-Request-Id``, never gunicorn's HTML page.
- Blocking socket operations in threads (writing a response to a client that does not
  read) time out after ``io_timeout`` seconds.
- Closing a connection never blocks the event loop (the half-closed socket is drained
  from the loop, for at most ``linger`` seconds).
- The worker dies with its master (Linux ``PR_SET_PDEATHSIG``): after a crash (``kill -9``
  of the master) no orphan keeps the port or serves requests, and a restart binds at once.

TLS and HTTP/2 connections are left to ``gthread`` as it is (``signsvc serve`` speaks
plain HTTP/1.1 behind nginx in production).
"""

from __future__ import annotations

import ctypes
import errno
import os
import selectors
import signal
import socket
import sys
import time
from functools import partial

from gunicorn.workers.gthread import TConn, ThreadWorker

from signsvc.web_server.framing import Framing, read_framing
from signsvc.web_server.problems import Capture, problem_for_status
from signsvc.web_server.sockets import BufferedUnreader, timed_socket

PR_SET_PDEATHSIG = 1


class BufferingWorker(ThreadWorker):
    """See the module docstring. Limits are class attributes (``signsvc.wsgi`` sets them
    from the settings before the master forks)."""

    head_timeout = 10.0
    request_timeout = 60.0
    min_rate = 100 * 1024
    max_body = 25 * 1024 * 1024 + 64 * 1024
    max_buffered = 256 * 1024 * 1024
    max_head = 64 * 1024
    io_timeout = 30.0
    linger = 2.0

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._buffering: dict[TConn, float] = {}   # connection -> its deadline
        self._lingering: dict[socket.socket, float] = {}
        self._buffered = 0   # bytes held by the requests being read

    # -- process -------------------------------------------------------------------------
    def init_process(self) -> None:
        die_with_parent(self.ppid)
        super().init_process()

    # -- accepting and queueing ------------------------------------------------------------
    def accept(self, listener) -> None:
        try:
            client_sock, client_addr = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        client_sock = timed_socket(client_sock, self.io_timeout) if not self.cfg.is_ssl else client_sock
        client_sock.setblocking(True)
        self.enqueue_req(TConn(self.cfg, client_sock, client_addr, listener.getsockname()))

    def enqueue_req(self, conn) -> None:
        """A thread for a connection whose request is complete; buffering otherwise."""
        if getattr(conn, "signsvc_ready", False) or self.cfg.is_ssl or conn.is_http2:
            conn.signsvc_ready = False
            super().enqueue_req(conn)
            return
        self._start_buffering(conn)

    def _start_buffering(self, conn) -> None:
        leftover = conn.parser.unreader.take_buffered() if conn.parser is not None else b""
        conn.signsvc_buf = bytearray(leftover)
        conn.signsvc_counted = len(leftover)     # what this request adds to _buffered
        self._buffered += len(leftover)
        conn.signsvc_framing = None
        conn.signsvc_partial = False
        conn.signsvc_head_deadline = time.monotonic() + self.head_timeout
        self._buffering[conn] = time.monotonic() + self.request_timeout
        conn.sock.setblocking(False)
        if leftover and self._advance(conn):
            return
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))

    def _on_readable(self, conn, _fileobj) -> None:
        while True:
            try:
                data = conn.sock.recv(256 * 1024)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self._drop(conn)
                return
            if not data:
                self._drop(conn)
                return
            conn.signsvc_buf += data
            conn.signsvc_counted += len(data)
            self._buffered += len(data)
            if self._buffered > self.max_buffered:
                self._refuse(conn, 503)
                return
            if self._advance(conn):
                return

    def _advance(self, conn) -> bool:
        """Look at what has arrived; True when the connection left buffering (handed to a
        thread, refused or dropped)."""
        buf: bytearray = conn.signsvc_buf
        if conn.signsvc_framing is None:
            while buf.startswith(b"\r\n"):
                del buf[:2]
            limit = self.cfg.limit_request_line or 8190
            line_end = buf.find(b"\r\n")
            if line_end > limit or (line_end < 0 and len(buf) > limit):
                return self._refuse(conn, 414, limit=limit)
            head_end = buf.find(b"\r\n\r\n")
            if head_end < 0:
                if len(buf) > self.max_head:
                    return self._refuse(conn, 431)
                return False
            if head_end + 4 > self.max_head:
                return self._refuse(conn, 431)
            conn.signsvc_framing = read_framing(bytes(buf[:head_end + 4]), self.max_body)
            framing: Framing = conn.signsvc_framing
            if framing.kind == "length" and not framing.oversize and conn in self._buffering:
                self._buffering[conn] += framing.length / self.min_rate
            if framing.expect_continue and not framing.oversize and framing.kind != "other":
                # the client waits for this before sending the body; gunicorn must not
                # send a second one
                buf[:head_end + 4] = framing.head_without_expect
                framing.body_start = len(framing.head_without_expect)
                try:
                    conn.sock.send(b"HTTP/1.1 100 Continue\r\n\r\n")
                except OSError:
                    self._drop(conn)
                    return True
        framing = conn.signsvc_framing
        if framing.kind == "other" or framing.oversize:
            conn.signsvc_partial = framing.oversize
            return self._hand_over(conn)
        done, over = framing.complete(buf)
        if over:
            conn.signsvc_partial = True
            return self._hand_over(conn)
        if done:
            return self._hand_over(conn)
        return False

    def _hand_over(self, conn) -> bool:
        self._forget(conn)
        data = bytes(conn.signsvc_buf)
        conn.signsvc_buf = bytearray()
        conn.data_ready = True
        conn.sock.setblocking(True)
        conn.init()
        conn.parser.unreader = BufferedUnreader(conn.sock, data)
        conn.signsvc_ready = True
        super().enqueue_req(conn)
        return True

    # -- timeouts and closing ----------------------------------------------------------
    def murder_pending(self) -> None:
        super().murder_pending()
        now = time.monotonic()
        for conn, deadline in list(self._buffering.items()):
            if not self.alive:   # stopping: requests not read yet are not waited for
                if conn.signsvc_buf:
                    self._refuse(conn, 503, variant="stopping")
                else:
                    self._forget(conn)
                    self.nr_conns -= 1
                    self._linger(conn.sock)
            elif now >= deadline or (conn.signsvc_framing is None
                                     and now >= conn.signsvc_head_deadline):
                if conn.signsvc_buf or conn.signsvc_framing is not None:
                    self._refuse(conn, 408)
                else:  # an idle connection that never sent a byte: just closed
                    self._forget(conn)
                    self.nr_conns -= 1
                    self._linger(conn.sock)
        for sock, until in list(self._lingering.items()):
            if now >= until:
                self._close_linger(sock)

    def _refuse(self, conn, status: int, *, limit: int = 0, variant: str | None = None) -> bool:
        """Answer ``status`` from the event loop and close the connection."""
        self.log.warning("refused request from %s: %s", (conn.client or ("?",))[0], status)
        try:
            conn.sock.send(problem_for_status(status, limit=limit, variant=variant))
        except OSError:
            pass
        self._forget(conn)
        self.nr_conns -= 1
        self._linger(conn.sock)
        return True

    def _drop(self, conn) -> None:
        self._forget(conn)
        self.nr_conns -= 1
        try:
            conn.sock.close()
        except OSError:
            pass

    def _forget(self, conn) -> None:
        if self._buffering.pop(conn, None) is not None:
            self._buffered -= conn.signsvc_counted
            conn.signsvc_counted = 0
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass

    def _linger(self, sock: socket.socket) -> None:
        """Half-close and drain from the event loop, then close (RFC 9112 9.6)."""
        try:
            sock.setblocking(False)
            sock.shutdown(socket.SHUT_WR)
            self.poller.register(sock, selectors.EVENT_READ, self._drain)
        except (OSError, ValueError, KeyError):
            try:
                sock.close()
            except OSError:
                pass
            return
        self._lingering[sock] = time.monotonic() + self.linger

    def _drain(self, sock) -> None:
        try:
            if sock.recv(64 * 1024):
                return
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            pass
        self._close_linger(sock)

    def _close_linger(self, sock) -> None:
        self._lingering.pop(sock, None)
        try:
            self.poller.unregister(sock)
        except (KeyError, ValueError, OSError):
            pass
        try:
            sock.close()
        except OSError:
            pass

    def finish_request(self, conn, fs) -> None:
        """gthread's, except that a connection to close is closed from the loop."""
        try:
            result = fs.result() if not fs.cancelled() else False
        except Exception:
            result = False
        if result or self.cfg.is_ssl:
            super().finish_request(conn, fs)
            return
        self.nr_conns -= 1
        self._linger(conn.sock)

    def _keepalive_after(self, conn, keepalive):
        if getattr(conn, "signsvc_partial", False):
            return False   # the rest of an oversize body is not read: close
        return super()._keepalive_after(conn, keepalive)

    # -- gunicorn's own error answers ------------------------------------------------
    def handle_error(self, req, client, addr, exc) -> None:
        """gunicorn's handling (status, log, access log), answered as problem+json."""
        capture = Capture()
        super().handle_error(req, capture, addr, exc)
        try:
            status = int(capture.data.split(b" ", 2)[1])
        except (IndexError, ValueError):
            status = 500
        limit = self.cfg.limit_request_line if status == 414 else 0
        data = problem_for_status(status, limit=limit)
        try:
            timeout = client.gettimeout()
            client.setblocking(False)
            try:
                client.sendall(data)
            finally:
                client.settimeout(timeout)
        except Exception:
            self.log.debug("Failed to send error message.")


def die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGKILL this process when its parent dies; exit now if it already
    has. No-op elsewhere."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return
    if os.getppid() != parent_pid:
        os._exit(1)


def configure(*, max_document_bytes: int, batch_max_bytes: int, batch_max_files: int) -> str:
    """Set the worker's size bounds from the settings (in the master, before it forks);
    returns the ``worker_class`` for gunicorn. The bound is the largest body the
    application accepts: a document (+64 KiB of form framing) or a batch of documents."""
    part_overhead = 64 * 1024
    BufferingWorker.max_body = max(max_document_bytes + part_overhead,
                                   batch_max_bytes + part_overhead * (batch_max_files + 1))
    BufferingWorker.max_buffered = max(256 * 1024 * 1024, 2 * BufferingWorker.max_body)
    return f"{BufferingWorker.__module__}.{BufferingWorker.__qualname__}"
