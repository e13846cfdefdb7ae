"""The shared real-world corpus (``../shared/corpus/real-world`` next to the checkout) and
the mapping from a ``POST /v1/verify`` answer to the corpus's five verdict classes.

The corpus is never copied into the repository (its licences vary): it is read where CI
and every developer machine keep it. ``CORPUS`` is ``None`` when it is not there.

Mapping (``corpus_class``), applied in this order:

1. an HTTP 5xx → ``server_error`` (never acceptable);
2. 422 ``malformed-pdf`` or ``not-a-pdf`` → ``malformed``;
3. verdict ``unsigned`` → ``not_signed``;
4. a signature or document timestamp TOTAL-FAILED with HASH_FAILURE or
   SIG_CRYPTO_FAILURE, or with FORMAT_FAILURE that is not about changes after signing
   (``modifications_permitted`` still true) → ``invalid`` (the signature itself is broken);
5. a signature or document timestamp whose later changes are not permitted
   (``modifications_permitted`` false: TOTAL-FAILED/FORMAT_FAILURE for a DocMDP or PAdES
   rule) or could not be explained (``modifications`` ``other``), or that is followed by
   unsigned trailing data, or the verdict ``valid_modified_after`` →
   ``modified_after_signing``;
6. otherwise → ``intact_valid`` (whatever the trust: the corpus never expects trust).

Any other HTTP answer is ``http_<status>``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
_CANDIDATE = REPO.parent / "shared" / "corpus" / "real-world"
CORPUS: Path | None = _CANDIDATE if (_CANDIDATE / "expected.csv").is_file() else None
MISSING_REASON = (f"real-world corpus not found at {_CANDIDATE} (it lives outside the repository: "
                  "../shared/corpus/real-world next to the checkout)")
CLASSES = ("intact_valid", "modified_after_signing", "invalid", "not_signed", "malformed")
BROKEN = frozenset({"HASH_FAILURE", "SIG_CRYPTO_FAILURE"})


@dataclass(frozen=True)
class Case:
    path: str
    expected: str
    features: str
    evidence: str

    @property
    def file(self) -> Path:
        assert CORPUS is not None
        return CORPUS / self.path


def cases() -> list[Case]:
    """The rows of ``expected.csv`` (empty when the corpus is missing)."""
    if CORPUS is None:
        return []
    with open(CORPUS / "expected.csv", newline="", encoding="utf-8") as fh:
        return [Case(r["path"], r["expected_verdict"], r["features"], r["evidence"])
                for r in csv.DictReader(fh)]


def _items(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [*body.get("signatures", []), *body.get("document_timestamps", [])]


def broken(item: dict[str, Any]) -> bool:
    """TOTAL-FAILED because the signature itself is broken (not because of later changes)."""
    if item.get("indication") != "TOTAL-FAILED":
        return False
    sub = item.get("sub_indication")
    return sub in BROKEN or (sub == "FORMAT_FAILURE" and item.get("modifications_permitted", True))


def modified(item: dict[str, Any]) -> bool:
    return (item.get("modifications_permitted") is False or item.get("modifications") == "other"
            or bool(item.get("trailing_data")))


def corpus_class(status: int, body: dict[str, Any] | None) -> str:
    """The corpus class of one ``/v1/verify`` answer (see the module docstring)."""
    body = body or {}
    if status >= 500:
        return "server_error"
    if status == 422 and body.get("code") in ("malformed-pdf", "not-a-pdf"):
        return "malformed"
    if status != 200:
        return f"http_{status}"
    if body.get("verdict") == "unsigned":
        return "not_signed"
    items = _items(body)
    if any(broken(i) for i in items):
        return "invalid"
    if any(modified(i) for i in items) or body.get("verdict") == "valid_modified_after":
        return "modified_after_signing"
    return "intact_valid"


def verdict_contradiction(body: dict[str, Any]) -> str | None:
    """Why the report's verdict contradicts its own indications, or ``None``.

    ``invalid`` needs a TOTAL-FAILED somewhere; ``valid`` / ``valid_modified_after`` need
    every signature and document timestamp TOTAL-PASSED; ``indeterminate`` needs no
    TOTAL-FAILED and at least one item not TOTAL-PASSED."""
    verdict = body.get("verdict")
    items = _items(body)
    indications = [i.get("indication") for i in items]
    if verdict == "invalid" and "TOTAL-FAILED" not in indications:
        return f"verdict invalid without TOTAL-FAILED: {indications}"
    if verdict in ("valid", "valid_modified_after") and any(x != "TOTAL-PASSED" for x in indications):
        return f"verdict {verdict} with {indications}"
    if verdict == "indeterminate" and ("TOTAL-FAILED" in indications or
                                       all(x == "TOTAL-PASSED" for x in indications)):
        return f"verdict indeterminate with {indications}"
    return None
