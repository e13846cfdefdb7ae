"""Socket helpers of ``web_server.worker``: blocking I/O with a timeout, and gunicorn's
request reader over a request already read into memory."""

from __future__ import annotations

import io
import socket

from gunicorn.http.unreader import SocketUnreader


class _TimedSocket(socket.socket):
    """A socket whose blocking mode has a timeout: gunicorn's threads call
    ``setblocking(True)`` before serving, which would otherwise wait forever."""

    io_timeout: float = 30.0

    def setblocking(self, flag: bool) -> None:
        if flag:
            self.settimeout(self.io_timeout)
        else:
            super().setblocking(False)


def timed_socket(sock: socket.socket, io_timeout: float) -> _TimedSocket:
    timed = _TimedSocket(sock.family, sock.type, sock.proto, fileno=sock.detach())
    timed.io_timeout = io_timeout
    return timed


class BufferedUnreader(SocketUnreader):
    """gunicorn's socket reader over a request already in memory: serves the buffered
    bytes first (in pieces of at most ``piece`` bytes, without copying the rest: the
    stock reader copies its whole buffer on every read, quadratic for a 25 MB body),
    then the socket."""

    piece = 256 * 1024

    def __init__(self, sock, data: bytes) -> None:
        self._stack: list[tuple[bytes, int]] = []
        super().__init__(sock)
        self._stack = [(data, 0)] if data else []

    @property
    def buf(self) -> io.BytesIO:
        """What is still buffered (gthread looks for pipelined bytes here)."""
        return io.BytesIO(b"".join(d[o:] for d, o in reversed(self._stack)))

    @buf.setter
    def buf(self, value: io.BytesIO) -> None:
        data = value.getvalue()
        self._stack = [(data, 0)] if data else []

    def take_buffered(self) -> bytes:
        data = self.buf.getvalue()
        self._stack = []
        return data

    def unread(self, data: bytes) -> None:
        if data:
            self._stack.append((bytes(data), 0))

    def _take(self, limit: int) -> bytes:
        data, off = self._stack[-1]
        end = min(len(data), off + limit)
        if end >= len(data):
            self._stack.pop()
        else:
            self._stack[-1] = (data, end)
        return data[off:end] if (off, end) != (0, len(data)) else data

    def read(self, size=None, read_ahead=None) -> bytes:
        if size is not None and not isinstance(size, int):
            raise TypeError("size parameter must be an int or long.")
        if size == 0:
            return b""
        if size is None or size < 0:
            return self._take(self.piece) if self._stack else self.chunk(read_ahead)
        out = bytearray()
        while len(out) < size:
            if self._stack:
                out += self._take(size - len(out))
                continue
            data = self.chunk(max(size, read_ahead or 0) - len(out))
            if not data:
                break
            out += data
        if len(out) > size:
            self.unread(bytes(out[size:]))
            del out[size:]
        return bytes(out)
