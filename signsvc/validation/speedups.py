"""Two hot spots of every verification made cheaper, results unchanged.

1. pyHanko's hex-string reader (the signature's ``/Contents``). pyHanko 0.38 reads ``<...>``
one byte at a time through two generator layers: reading the
16-32 KiB ``/Contents`` of one signature was 17 ms of a 55 ms profiled verification
(443,970 ``read_tokens`` calls for 30 verifications). ``read_hex_string`` reads the
string in blocks instead and returns the same object, leaving the stream at the same
position. Only a well-formed string (hex digits and PDF whitespace up to ``>``) takes the
fast path; anything else (a comment, a bad byte, a truncated stream) is handed to
pyHanko's own reader from the original position, so errors are exactly pyHanko's.

2. asn1crypto's RFC 4518 string preparation of name attributes, which every name
comparison (issuer matching, path building, OCSP/CRL matching) runs on freshly parsed
certificates: 1,260 calls, 20% of the profiled time for 30 verifications of one document.
It is a pure function of the string (``self`` unused), so its results are memoised
(bounded LRU); an input it rejects still raises each time (exceptions are not cached).
   On top, the outcome of comparing two names (``x509.Name.__eq__``) is memoised by their
   two DER encodings (bounded; asn1crypto's own comparison decides on a miss, and an
   exception is not remembered): 810 comparisons per 30 verifications, 6.7% of a worker's
   GIL samples under load (py-spy --gil). ``x509.Name.hashable`` (the key of certificate
   lookups by name) is memoised the same way: 4.3% of the same samples.

``install()`` puts both in place (idempotent, process-wide: signing benefits too).
"""

from __future__ import annotations

import binascii
import functools
import re

from asn1crypto import x509
from pyhanko.pdf_utils import generic

_ORIGINAL = generic.read_hex_string_from_stream
_ORIGINAL_PREP = x509.NameTypeAndValue._ldap_string_prep
_ORIGINAL_NAME_EQ = x509.Name.__eq__
_ORIGINAL_HASHABLE = x509.Name.hashable.fget
_hashable_memo: dict[bytes, str] = {}
_NAME_MEMO_SIZE = 8192
_name_memo: dict[tuple[bytes, bytes], bool] = {}
_BLOCK = 64 * 1024
_WHITESPACE = re.compile(rb"[ \n\r\t\f\x00]+")
_HEX_ONLY = re.compile(rb"[0-9a-fA-F]*")


def read_hex_string(stream):
    """``pyhanko.pdf_utils.generic.read_hex_string_from_stream`` with block reads: same
    result, same final stream position, same exceptions."""
    start = stream.tell()
    chunks = []
    while True:
        block = stream.read(_BLOCK)
        if not block:  # no closing '>': pyHanko raises its own error
            stream.seek(start)
            return _ORIGINAL(stream)
        end = block.find(b">")
        if end >= 0:
            chunks.append(block[:end])
            stream.seek(start + sum(len(c) for c in chunks) + 1)
            break
        chunks.append(block)
    body = b"".join(chunks)[1:]  # past the opening '<'
    digits = _WHITESPACE.sub(b"", body)
    if _HEX_ONLY.fullmatch(digits) is None:  # a comment or a stray byte: pyHanko decides
        stream.seek(start)
        return _ORIGINAL(stream)
    if len(digits) % 2:
        digits += b"0"
    return generic.pdf_string(binascii.unhexlify(digits))


@functools.lru_cache(maxsize=8192)
def _prepared(string: str) -> str:
    return _ORIGINAL_PREP(None, string)


def ldap_string_prep(_self, string: str) -> str:
    """``NameTypeAndValue._ldap_string_prep``, memoised: same result, same exceptions."""
    return _prepared(string)


def name_eq(self: x509.Name, other) -> bool:
    """``x509.Name.__eq__`` (RFC 5280 7.1 comparison), memoised by the DER of both names."""
    if not isinstance(other, x509.Name):
        return False
    key = (self.dump(), other.dump())
    known = _name_memo.get(key)
    if known is None:
        known = _ORIGINAL_NAME_EQ(self, other)
        if len(_name_memo) >= _NAME_MEMO_SIZE:
            _name_memo.clear()
        _name_memo[key] = known
    return known


def name_hashable(self: x509.Name) -> str:
    """``x509.Name.hashable``, memoised by the name's DER."""
    der = self.dump()
    known = _hashable_memo.get(der)
    if known is None:
        known = _ORIGINAL_HASHABLE(self)
        if len(_hashable_memo) >= _NAME_MEMO_SIZE:
            _hashable_memo.clear()
        _hashable_memo[der] = known
    return known


def install() -> None:
    """Route pyHanko's object reader through ``read_hex_string`` and asn1crypto's name
    preparation through ``ldap_string_prep``."""
    generic.read_hex_string_from_stream = read_hex_string
    x509.NameTypeAndValue._ldap_string_prep = ldap_string_prep
    x509.Name.__eq__ = name_eq
    x509.Name.hashable = property(name_hashable)
