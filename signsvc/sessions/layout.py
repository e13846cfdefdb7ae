"""Where an official may put a signature: a page's box (to map a click on the page preview
to PDF points) and the empty signature fields of a document.

Guarantees: read-only; bounded (at most ``MAX_FIELDS`` fields are listed, field names
that cannot be asked for at step 1 are skipped); a field without a visible widget is
skipped (it cannot show a signature); a page number outside the document is a 422
``appearance-invalid`` naming the page count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from signsvc.errors import SignsvcError
from signsvc.signing.appearance import placement as pl

MAX_FIELDS = 50
#: names a caller may give as ``field`` (as on /v1/sign)
FIELD_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


@dataclass(frozen=True)
class PageLayout:
    number: int                                   # 1-based
    box: tuple[float, float, float, float]        # the crop box: what the preview shows (pt)
    rotate: int

    def as_dict(self) -> dict:
        return {"page": self.number, "box": [round(v, 3) for v in self.box], "rotate": self.rotate}


@dataclass(frozen=True)
class EmptyField:
    name: str
    page: int                                     # 1-based
    rect: tuple[float, float, float, float]

    def as_dict(self) -> dict:
        return {"name": self.name, "page": self.page, "rect": [round(v, 3) for v in self.rect]}


def page_layout(data: bytes, pages: int, number: int) -> PageLayout:
    """The box of page ``number`` (1-based) as the preview renders it (pdftoppm: crop box)."""
    box = pl.page_box(pl.read_pdf(data), pages, number)
    return PageLayout(number, box.crop, box.rotate)


def empty_fields(data: bytes) -> list[EmptyField]:
    """The empty signature fields with a visible widget, in document order."""
    reader = pl.read_pdf(data)
    found: list[EmptyField] = []
    for name in pl.empty_field_names(reader)[: 4 * MAX_FIELDS]:
        if len(found) >= MAX_FIELDS:
            break
        if not isinstance(name, str) or not FIELD_NAME.match(name):
            continue
        try:
            target = pl.existing_field(reader, name)
        except SignsvcError:
            continue        # invisible, or not really empty
        found.append(EmptyField(name, target.page + 1, target.rect))
    return found
