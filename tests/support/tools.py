"""External tools the tests rely on. A missing tool is a failure, never a skip."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


def require_tool(name: str) -> str:
    """Path of ``name``; fails the test (not skip) when it is not installed."""
    import pytest

    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; run `make deps` (scripts/install.sh)")
    return path


@dataclass(frozen=True)
class PdfsigSignature:
    index: int
    common_name: str
    signature_valid: bool
    certificate_trusted: bool
    whole_document: bool
    raw: str


def pdfsig(pdf: Path, nssdb: Path) -> list[PdfsigSignature]:
    """Run poppler's ``pdfsig`` with the NSS database that trusts the test root.

    Returns one entry per signature: whether pdfsig says the signature is valid, the
    certificate trusted and the whole document covered.
    """
    exe = require_tool("pdfsig")
    proc = subprocess.run([exe, "-nssdir", f"sql:{nssdb}", str(pdf)],
                          capture_output=True, text=True, timeout=60)
    out = proc.stdout
    parts = re.split(r"^Signature #(\d+):\s*$", out, flags=re.M)
    sigs = []
    for i in range(1, len(parts), 2):
        body = parts[i + 1]
        cn = re.search(r"Signer Certificate Common Name: (.*)", body)
        sigs.append(PdfsigSignature(
            index=int(parts[i]),
            common_name=cn.group(1).strip() if cn else "",
            signature_valid="Signature Validation: Signature is Valid." in body,
            certificate_trusted="Certificate Validation: Certificate is Trusted." in body,
            whole_document="Total document signed" in body,
            raw=body,
        ))
    return sigs
