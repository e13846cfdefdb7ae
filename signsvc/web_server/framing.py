"""Where an HTTP/1.x request ends, learned from bytes as they arrive (pure, no I/O).

Used by ``signsvc.web_server.worker`` to buffer a whole request before a thread serves it.
It only finds the end of the message; validating the request stays gunicorn's job, so
anything unusual (several or invalid ``Content-Length``, a transfer coding other than
``chunked``, a malformed chunk) is ``kind="other"`` or "complete": the request is handed
over as it is and gunicorn refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_CHUNK_LINE = 4096


@dataclass
class Framing:
    kind: str                      # "length" | "chunked" | "other"
    body_start: int                # offset of the body in the buffer
    length: int = 0                # "length": the declared body size
    oversize: bool = False         # the declared size is over the bound
    expect_continue: bool = False  # HTTP/1.1 with "Expect: 100-continue"
    head_without_expect: bytes = b""
    max_body: int = 0
    _pos: int = -1                 # "chunked": where the next chunk-size line starts
    _decoded: int = 0

    def complete(self, buf: bytes | bytearray) -> tuple[bool, bool]:
        """(the whole request is in ``buf``, the body is already over the bound)."""
        if self.kind == "length":
            return len(buf) >= self.body_start + self.length, False
        if self.kind != "chunked":
            return True, False
        if self._pos < 0:
            self._pos = self.body_start
        while True:
            line_end = buf.find(b"\r\n", self._pos)
            if line_end < 0:
                # no end of line yet; an endless chunk line is gunicorn's to refuse
                return len(buf) - self._pos > MAX_CHUNK_LINE, False
            size_text = bytes(buf[self._pos:line_end]).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                return True, False
            if size < 0:
                return True, False
            if size == 0:
                # trailer section: ends with an empty line
                rest = line_end + 2
                if buf[rest:rest + 2] == b"\r\n":
                    return True, False
                return buf.find(b"\r\n\r\n", rest) >= 0, False
            self._decoded += size
            if self._decoded > self.max_body:
                return False, True
            nxt = line_end + 2 + size + 2
            if len(buf) < nxt:
                return False, False
            self._pos = nxt


def read_framing(head: bytes, max_body: int) -> Framing:
    """How the body of the request whose head (ending with an empty line) is ``head``
    is delimited."""
    lines = head.split(b"\r\n")
    request_line = lines[0]
    http11 = request_line.rstrip().endswith(b"HTTP/1.1")
    lengths: list[bytes] = []
    codings: list[bytes] = []
    expect = False
    kept = [request_line]
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        lname = name.strip().lower()
        if sep and lname == b"content-length":
            lengths.append(value.strip())
        elif sep and lname == b"transfer-encoding":
            codings.extend(c.strip().lower() for c in value.split(b","))
        elif sep and lname == b"expect" and value.strip().lower() == b"100-continue" and http11:
            expect = True
            continue
        kept.append(line)
    framing = Framing(kind="length", body_start=len(head), max_body=max_body,
                      expect_continue=expect, head_without_expect=b"\r\n".join(kept))
    if codings:
        if lengths or codings != [b"chunked"]:
            framing.kind = "other"
        else:
            framing.kind = "chunked"
        return framing
    if not lengths:
        return framing
    if len(set(lengths)) != 1 or not lengths[0].isdigit():
        framing.kind = "other"
        return framing
    framing.length = int(lengths[0])
    framing.oversize = framing.length > max_body
    return framing
