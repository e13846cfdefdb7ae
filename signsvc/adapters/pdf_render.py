"""Render a PDF page to PNG with poppler's pdftoppm (bounded in time and size)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from signsvc.errors import MalformedPdf, Message, NotReady

TIMEOUT_SECONDS = 20


def render_page_png(data: bytes, page: int = 1, dpi: int = 60) -> bytes:
    """PNG of ``page`` at ``dpi``; ``MalformedPdf`` if poppler cannot render it."""
    with tempfile.TemporaryDirectory(prefix="signsvc-render-") as tmp:
        src = Path(tmp) / "in.pdf"
        src.write_bytes(data)
        try:
            proc = subprocess.run(
                ["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page),
                 "-singlefile", str(src), str(Path(tmp) / "page")],
                capture_output=True, timeout=TIMEOUT_SECONDS)
        except FileNotFoundError:
            raise NotReady(Message("Thiếu pdftoppm (poppler-utils).", "pdftoppm (poppler-utils) is missing.")) from None
        except subprocess.TimeoutExpired:
            raise MalformedPdf() from None
        out = Path(tmp) / "page.png"
        if proc.returncode != 0 or not out.exists():
            raise MalformedPdf()
        return out.read_bytes()
