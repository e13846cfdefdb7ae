"""The message catalogue: both languages, same placeholders, one sentence each."""

from __future__ import annotations

import re
import string

import pytest

from signsvc.validation import messages

VI_LETTERS = re.compile(r"[ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ]", re.I)


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(messages.CATALOGUE))
def test_entry(key):
    vi, en = messages.CATALOGUE[key]
    assert _fields(vi) == _fields(en), key
    assert VI_LETTERS.search(vi), f"{key}: Vietnamese without diacritics?"
    for text in (vi, en):
        assert text.endswith("."), key
        body = re.sub(r"\([^)]*\)", "", text[:-1])
        assert ". " not in body, f"{key}: one sentence per finding"


def test_text_fills_both_languages():
    m = messages.text("weak_rsa_key", bits="1024")
    assert m.vi == "Khóa RSA 1024 bit không đáp ứng tiêu chuẩn hiện hành (tối thiểu 2048 bit)."
    assert "1024-bit" in m.en
    with pytest.raises(KeyError):
        messages.text("no-such-finding")


def test_revocation_reasons_are_translated():
    m = messages.revocation_text("revoked", date="2025-06-01", reason="key_compromise")
    assert "lộ khóa bí mật" in m.vi and "key compromise" in m.en
    assert "không nêu lý do" in messages.revocation_text("revoked", date="d", reason=None).vi
