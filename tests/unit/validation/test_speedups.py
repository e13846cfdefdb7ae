"""signsvc.validation.speedups gives exactly what pyHanko and asn1crypto give: the same
string objects, stream positions and exceptions for hex strings, the same name
comparisons and errors for RFC 4518 preparation."""

from __future__ import annotations

import io

import pytest
from asn1crypto import x509
from pyhanko.pdf_utils import generic

from signsvc.validation import speedups

HEX_CASES = [
    b"<>", b"<0>", b"<ab cd\n ef>rest", b"<41 4>", b"<zz>", b"<41%c\n42>", b"<4142",
    b"<" + b"a" * 200_001 + b">x", b"<\x00ab\x0c>", b"<FEFF00410042>", b"<4" + b" " * 70_000 + b"1>",
]


def _outcome(reader, data: bytes):
    stream = io.BytesIO(data)
    try:
        value = reader(stream)
        return type(value), bytes(value) if isinstance(value, bytes) else value, stream.tell()
    except Exception as exc:  # the exception itself is compared
        return type(exc), str(exc), stream.tell()


@pytest.mark.parametrize("data", HEX_CASES, ids=range(len(HEX_CASES)))
def test_hex_string_same_value_position_and_error(data):
    assert _outcome(speedups.read_hex_string, data) == _outcome(speedups._ORIGINAL, data)


def test_installed_reader_is_used_by_read_object():
    speedups.install()
    assert generic.read_hex_string_from_stream is speedups.read_hex_string
    value = generic.read_object(io.BytesIO(b"<5369676E> "), generic.Reference(1, 0))
    assert value == "Sign"


def test_name_comparison_unchanged_and_bad_strings_still_raise():
    speedups.install()
    a = x509.Name.build({"common_name": "  Nguyễn  Văn A ", "country_name": "VN"})
    b = x509.Name.build({"common_name": "nguyễn văn a", "country_name": "VN"})
    c = x509.Name.build({"common_name": "Nguyễn Văn B", "country_name": "VN"})
    for _ in range(2):  # computed, then remembered
        assert a == b and a != c and b == a and a != "CN=Nguyễn Văn A"
        assert a.hashable == b.hashable == speedups._ORIGINAL_HASHABLE(b) != c.hashable
    for _ in range(2):  # a rejected string raises every time, not only before it is memoised
        with pytest.raises(ValueError):
            x509.NameTypeAndValue._ldap_string_prep(None, "bad\ue000")
