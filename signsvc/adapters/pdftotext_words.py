"""``PageWords`` adapter: poppler's ``pdftotext -bbox-layout`` in a temporary folder.

Guarantees: the PDF is written to a private temporary folder removed afterwards; the run
is bounded (60 s); a missing tool, a failed or timed-out run, or unreadable output gives
``None`` (the caller reports that the text could not be extracted), never an exception.
"""

from __future__ import annotations

import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from signsvc.signing.appearance.words import Word

_NS = "{http://www.w3.org/1999/xhtml}"


def pdftotext_words(pdf: bytes, first: int, last: int) -> list[list[Word]] | None:
    """The words of pages ``first``..``last`` (1-based) with their boxes (see ``PageWords``)."""
    with tempfile.TemporaryDirectory(prefix="signsvc-anchor-") as tmp:
        src = Path(tmp) / "in.pdf"
        src.write_bytes(pdf)
        try:
            run = subprocess.run(
                ["pdftotext", "-q", "-bbox-layout", "-f", str(first), "-l", str(last),
                 str(src), str(Path(tmp) / "out.html")], capture_output=True, timeout=60)
            html = (Path(tmp) / "out.html").read_bytes() if run.returncode == 0 else b""
        except (OSError, subprocess.TimeoutExpired):
            html = b""
    if not html:
        return None
    try:
        root = ET.fromstring(html)
    except ET.ParseError:
        return None
    return [[Word(w.text or "", float(w.get("xMin") or 0), float(w.get("yMin") or 0),
                  float(w.get("xMax") or 0), float(w.get("yMax") or 0))
             for w in page_el.iter(f"{_NS}word")]
            for page_el in root.iter(f"{_NS}page")]
