"""How signsvc, poppler's pdfsig and a plain pyHanko check judge the real-world corpus
(``../shared/corpus/real-world``, issue 12), against its ``expected.csv``.

For every file it prints the expected class and each tool's class, then each tool's
score. The five classes and signsvc's mapping are those of
``tests/support/wild_corpus.py`` (signsvc runs through ``POST /v1/verify`` of the
development service, fetching off). The other two tools:

- pdfsig (``pdfsig -nocert -no-ocsp``): no signature listed → ``malformed`` when poppler
  said it could not read the file ("May not be a PDF", "Couldn't find trailer", syntax
  errors), else ``not_signed``; a signature not "Signature is Valid" → ``invalid``; the
  last signature "Not total document signed" → ``modified_after_signing``; else
  ``intact_valid``;
- pyHanko 0.38 as a plain user would call it: ``PdfFileReader(strict=False)`` (empty user
  password), ``validate_pdf_signature`` / ``validate_pdf_timestamp`` with an empty trust
  store and pyHanko's default diff policy: unreadable → ``malformed``; no signature →
  ``not_signed``; not intact or not valid or an exception → ``invalid``; coverage not the
  whole file or revision, or a diff result that is not allowed → ``modified_after_signing``;
  else ``intact_valid``.

    set -a && . var/dev.env && set +a && .venv/bin/python bench/verify_agreement.py
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: E402
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp  # noqa: E402
from pyhanko.sign.validation.status import SignatureCoverageLevel  # noqa: E402
from pyhanko_certvalidator import ValidationContext  # noqa: E402

from tests.conftest import build_api  # noqa: E402
from tests.support.wild_corpus import CORPUS, MISSING_REASON, cases, corpus_class  # noqa: E402

TOOLS = ("signsvc", "pdfsig", "pyhanko")
POPPLER_UNREADABLE = ("May not be a PDF", "Couldn't find trailer", "Syntax Error")


def pdfsig_class(path: Path) -> str:
    proc = subprocess.run(["pdfsig", "-nocert", "-no-ocsp", str(path)], capture_output=True, text=True,
                          timeout=120)
    blocks = re.split(r"^Signature #\d+:\s*$", proc.stdout, flags=re.M)[1:]
    if not blocks:
        return "malformed" if any(s in proc.stderr for s in POPPLER_UNREADABLE) else "not_signed"
    if any("Signature Validation: Signature is Valid." not in b for b in blocks):
        return "invalid"
    if "Not total document signed" in blocks[-1]:
        return "modified_after_signing"
    return "intact_valid"


def pyhanko_class(data: bytes) -> str:
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.encrypted:
            reader.decrypt("")
        sigs = list(reader.embedded_regular_signatures)
        stamps = list(reader.embedded_timestamp_signatures)
    except Exception:
        return "malformed"
    if not sigs:
        return "not_signed"
    modified = False
    for emb in [*sigs, *stamps]:
        try:
            vc = ValidationContext(trust_roots=[])
            status = (validate_pdf_timestamp(emb, validation_context=vc) if emb in stamps
                      else validate_pdf_signature(emb, signer_validation_context=vc))
        except Exception:
            return "invalid"
        if not (status.intact and status.valid):
            return "invalid"
        whole = status.coverage in (SignatureCoverageLevel.ENTIRE_FILE, SignatureCoverageLevel.ENTIRE_REVISION)
        modified |= not whole or status.docmdp_ok is False
    return "modified_after_signing" if modified else "intact_valid"


def signsvc_class(api, data: bytes) -> str:
    resp = api.client.post("/v1/verify", data=data,
                           headers=api.headers("auditor", **{"Content-Type": "application/pdf"}))
    return corpus_class(resp.status_code, resp.get_json(silent=True))


def main() -> int:
    if CORPUS is None:
        print(MISSING_REASON)
        return 1
    warnings.simplefilter("ignore")
    api = build_api(Path(tempfile.mkdtemp()), trust__allow_fetching="false")
    rows, scores = [], dict.fromkeys(TOOLS, 0)
    try:
        for case in cases():
            data = case.file.read_bytes()
            got = {"signsvc": signsvc_class(api, data), "pdfsig": pdfsig_class(case.file),
                   "pyhanko": pyhanko_class(data)}
            for tool in TOOLS:
                scores[tool] += got[tool] == case.expected
            rows.append((case.path, case.expected, got))
    finally:
        api.services.shutdown()
    width = max(len(p) for p, _, _ in rows)
    print(f"{'file':<{width}}  {'expected':<22} " + " ".join(f"{t:<24}" for t in TOOLS))
    for path, expected, got in rows:
        marks = " ".join(f"{got[t] + ('' if got[t] == expected else ' ✗'):<24}" for t in TOOLS)
        print(f"{path:<{width}}  {expected:<22} {marks}")
    total = len(rows)
    print("\nscore: " + ", ".join(f"{t} {scores[t]}/{total}" for t in TOOLS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
