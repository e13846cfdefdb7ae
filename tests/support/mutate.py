"""A seeded mutator of PDFs and JSON bodies for the fuzz tests (issue 11): the same seed
gives the same inputs, so a failure is reproducible from its index."""

from __future__ import annotations

import json
import random
import re

#: tokens of the PDF syntax a mutation swaps in for one another
TOKENS = [b"/Pages", b"/Kids", b"/Count", b"/Type", b"/Page", b"/Root", b"/Size", b"/Parent",
          b"/Length", b"/Filter", b"/FlateDecode", b"/ObjStm", b"/XRef", b"/Annots", b"/AcroForm",
          b"/Fields", b"/Encrypt", b"obj", b"endobj", b"stream", b"endstream", b"xref",
          b"trailer", b"startxref", b"R", b"[", b"]", b"<<", b">>", b"null", b"-1", b"0",
          b"99999999", b"%%EOF", b"(", b")", b"<", b">"]
_REF = re.compile(rb"\b(\d+) (\d+) R\b")
_NUMBER = re.compile(rb"(?<![\w.])\d+(?![\w.])")
_WEIRD_NUMBERS = [b"0", b"-1", b"99999999", b"2147483648", b"18446744073709551616", b"1.5e308",
                  b"-0", b"00000000000000000000001"]


_OBJ = re.compile(rb"(?<![0-9])(\d{1,7}) (\d{1,5}) obj\b")
_TRAILER = re.compile(rb"trailer\s*(<<.*?>>)\s*startxref", re.S)


def rebuild_xref(data: bytes) -> bytes:
    """``data`` with a fresh cross-reference table and trailer appended, pointing at every
    ``N G obj`` found, so that a mutated object body is reached by the parser instead of
    the file failing at its (now wrong) offsets. The last trailer's entries are kept,
    without /Prev and with a new /Size."""
    offsets: dict[int, tuple[int, int]] = {}
    for m in _OBJ.finditer(data):
        offsets[int(m.group(1))] = (m.start(), int(m.group(2)))
    if not offsets:
        return data
    trailers = list(_TRAILER.finditer(data))
    body = trailers[-1].group(1) if trailers else b"<< /Root 1 0 R >>"
    size = max(offsets) + 1
    body = re.sub(rb"/Prev\s+\d+", b"", re.sub(rb"/Size\s+\d+", b"", body))
    body = body[:-2] + b" /Size %d >>" % size
    out = bytearray(data)
    if not out.endswith(b"\n"):
        out += b"\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for i in range(1, size):
        off, gen = offsets.get(i, (0, 0))
        out += b"%010d %05d %s \n" % (off, gen, b"n" if i in offsets else b"f")
    out += b"trailer\n" + body + b"\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def mutate_pdf(rng: random.Random, data: bytes) -> bytes:
    """``data`` with 1 to 4 mutations: flipped bytes, cuts, deleted or repeated slices,
    references to objects that do not exist, swapped tokens, odd numbers, deep nesting;
    then, two times in three, a rebuilt cross-reference table (:func:`rebuild_xref`) so
    that the mutated objects themselves are parsed."""
    out = _mutate(rng, data)
    return rebuild_xref(out) if rng.random() < 0.67 else out


def _mutate(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(9)
        n = len(b)
        if n < 16:
            break
        if op == 0:
            for _ in range(rng.randint(1, 20)):
                b[rng.randrange(n)] = rng.randrange(256)
        elif op == 1:
            del b[rng.randrange(16, n):]
        elif op == 2:
            i = rng.randrange(n)
            del b[i:i + rng.randint(1, 400)]
        elif op == 3:
            i = rng.randrange(n)
            b[i:i] = b[i:i + rng.randint(1, 400)] * rng.randint(1, 4)
        elif op == 4:
            refs = list(_REF.finditer(b))
            if refs:
                m = rng.choice(refs)
                b[m.start(1):m.end(1)] = rng.choice([*_WEIRD_NUMBERS, m.group(1)])
        elif op == 5:
            tok = rng.choice(TOKENS)
            spots = [m.start() for m in re.finditer(re.escape(tok), b)]
            if spots:
                i = rng.choice(spots)
                b[i:i + len(tok)] = rng.choice(TOKENS)
        elif op == 6:
            nums = list(_NUMBER.finditer(b[-2000:]))  # xref offsets, /Size, startxref
            if nums:
                m = rng.choice(nums)
                base = len(b) - len(b[-2000:])
                b[base + m.start():base + m.end()] = rng.choice(_WEIRD_NUMBERS)
        elif op == 7:
            i = rng.randrange(n)
            b[i:i] = rng.choice([b"[", b"<<", b"("]) * rng.choice([10, 1000, 20000])
        else:
            trailer = b.rfind(b"/Root ")
            if trailer >= 0:
                end = b.find(b"R", trailer)
                b[trailer:end + 1] = b"/Root " + rng.choice(_WEIRD_NUMBERS) + b" 0 R"
    return bytes(b)


def _odd_value(rng: random.Random, depth: int = 0):
    choices = [None, True, 0, -1, 2 ** 70, 1.5e308, "", "é", "\x00", "A" * 5000, "%PDF-",
               "////", "MIIB" * 50, [], {}, ["a"], {"profile": 1}, {"profile": "seal"}]
    if depth < 2 and rng.random() < 0.2:
        return {"x": _odd_value(rng, depth + 1)} if rng.random() < 0.5 else [_odd_value(rng, depth + 1)]
    return rng.choice(choices)


def mutate_json(rng: random.Random, template: dict) -> tuple[bytes, str]:
    """(body, content type): ``template`` with odd values, missing or extra keys, broken
    bytes, deep nesting, a wrong or missing content type."""
    body = dict(template)
    ctype = "application/json"
    op = rng.randrange(8)
    if op in (0, 1, 2) and body:
        body[rng.choice(list(body))] = _odd_value(rng)
    elif op == 3 and body:
        body.pop(rng.choice(list(body)))
    elif op == 4:
        body[rng.choice(["extra", "appearance", "field", "eservice", "rsa_padding"])] = _odd_value(rng)
    raw = json.dumps(body, ensure_ascii=rng.random() < 0.5).encode("utf-8")
    if op == 5:
        raw = raw[:rng.randrange(len(raw))] + bytes([rng.randrange(256)]) * rng.randint(0, 3)
    elif op == 6:
        depth = rng.choice([100, 5000, 30000])
        raw = b"[" * depth if rng.random() < 0.5 else b'{"a":' * depth + b"1" + b"}" * depth
    elif op == 7:
        ctype = rng.choice(["text/plain", "application/pdf", "multipart/form-data", ""])
    return raw, ctype
