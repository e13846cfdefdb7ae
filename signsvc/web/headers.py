"""Response headers that carry user text (document numbers, titles): RFC 6266 / RFC 5987.

A WSGI server sends header values as ISO-8859-1 and gunicorn refuses anything else (the
browser then gets a bare "Internal Server Error"), so user text never goes into a header
raw: ``content_disposition`` gives the name as ``filename*=UTF-8''…`` (percent-encoded)
plus an ASCII ``filename="…"`` fallback for old clients.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

#: RFC 5987 attr-char besides letters and digits: left as is in ``filename*``
_ATTR_CHARS = "!#$&+-.^_`|~"
#: letters that have no decomposition into an ASCII base letter
_ASCII_LETTERS = str.maketrans({"Đ": "D", "đ": "d", "Ø": "O", "ø": "o", "Æ": "AE", "æ": "ae",
                                "ß": "ss", "Ł": "L", "ł": "l"})
_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._()+-]+")
_SEPARATORS = re.compile(r"[/\\\s]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\"]")
MAX_NAME = 150


def _clean(name: str) -> str:
    """The name without path separators, quotes, control characters or line breaks."""
    name = unicodedata.normalize("NFC", name)
    name = _CONTROL.sub("", _SEPARATORS.sub(lambda m: "-" if m.group().strip() else " ", name))
    name = re.sub(r"\s+", " ", name).strip(" .-")
    return name[:MAX_NAME]


def ascii_fallback(name: str, default: str = "document") -> str:
    """An ASCII-only name made of letters, digits and ``._()+-`` (Vietnamese letters lose
    their marks: ``125/QĐ-UBND`` → ``125-QD-UBND``); ``default`` when nothing is left."""
    base = unicodedata.normalize("NFKD", _clean(name).translate(_ASCII_LETTERS))
    base = "".join(c for c in base if not unicodedata.combining(c))
    base = _UNSAFE_ASCII.sub("-", base.replace(" ", "-"))
    base = re.sub(r"-{2,}", "-", base).strip(".-")
    return base[:MAX_NAME] or default


def content_disposition(filename: str, disposition: str = "attachment",
                        default: str = "document") -> str:
    """A ``Content-Disposition`` value for ``filename`` (any Unicode, from users) that every
    WSGI server accepts: only printable ASCII, no CR/LF, no quotes or ``/`` in the name.

    The extension (``.pdf``) is kept in both forms; an empty name becomes ``default``."""
    stem, dot, ext = filename.rpartition(".")
    if not dot or not re.fullmatch(r"[A-Za-z0-9]{1,8}", ext):
        stem, ext = filename, ""
    stem = _clean(stem)
    ext = f".{ext}" if ext else ""
    full = f"{stem or default}{ext}"
    ascii_name = f"{ascii_fallback(stem, default)}{ext}"
    return (f'{disposition}; filename="{ascii_name}"; '
            f"filename*=UTF-8''{quote(full, safe=_ATTR_CHARS)}")


def header_text(value: str) -> str:
    """``value`` for a custom header (``X-…``): unchanged when it is printable ASCII,
    otherwise its UTF-8 percent-encoded (RFC 3986) so that no server refuses it."""
    if all(" " <= c <= "~" for c in value):
        return value
    return quote(value, safe=" !#$&'()*+,-./:;<=>?@[]^_`{|}~")
