"""Port: the words of a PDF's pages with their boxes (what anchor placement searches).

The domain never runs a text extractor itself; the composition root hands a
``PageWords`` function (``signsvc.adapters.pdftotext_words``) to the signer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Word:
    """One word of a page; the box is in points from the crop box's top left corner."""

    text: str
    x_min: float
    y_min: float
    x_max: float
    y_max: float


#: ``page_words(pdf, first, last)``: the words of pages ``first``..``last`` (1-based,
#: inclusive), one list per page in page order; ``None`` when the text cannot be extracted.
PageWords = Callable[[bytes, int, int], "list[list[Word]] | None"]
