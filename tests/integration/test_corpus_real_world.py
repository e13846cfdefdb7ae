"""Real signed PDFs from other software (``../shared/corpus/real-world``, issue 12).

Every file goes through ``POST /v1/verify`` of the service as configured for development,
with network fetching off (the corpus's revocation data is often stale, and trust is never
part of its expected classes). The answer is mapped to the corpus's five classes by
``tests.support.wild_corpus.corpus_class`` (the mapping is documented there) and must be
the class of ``expected.csv``. Also, for every file: no 5xx, and no report whose verdict
contradicts its own ETSI indications.

``ARGUED`` lists the cases where signsvc deliberately answers otherwise than
``expected.csv``, each with the reason from the standards. It is empty: every expected class
was found to be right.

The corpus is never copied into the repository; without it this module is skipped (the
only skip allowed).
"""

from __future__ import annotations

import pytest

from tests.conftest import build_api
from tests.support.wild_corpus import (
    CORPUS,
    MISSING_REASON,
    cases,
    corpus_class,
    verdict_contradiction,
)

pytestmark = pytest.mark.skipif(CORPUS is None, reason=MISSING_REASON)

HDR = {"Content-Type": "application/pdf"}
CASES = cases()

# path -> (class signsvc gives, reasoning from the standard). See the module docstring.
ARGUED: dict[str, tuple[str, str]] = {}


@pytest.fixture(scope="module")
def offline_api(dev_pki, tmp_path_factory):
    """The service with the development trust store, fetching off, soft-fail revocation."""
    a = build_api(tmp_path_factory.mktemp("corpus"), trust__allow_fetching="false")
    yield a
    a.services.shutdown()


def _verify(api, data: bytes):
    resp = api.client.post("/v1/verify", data=data, headers=api.headers("auditor", **HDR))
    return resp.status_code, resp.get_json(silent=True)


@pytest.mark.parametrize("case", CASES, ids=[c.path for c in CASES])
def test_corpus_file_gets_expected_class(offline_api, case):
    status, body = _verify(offline_api, case.file.read_bytes())
    assert status < 500, f"{case.path}: HTTP {status} {body}"
    got = corpus_class(status, body)
    expected = ARGUED[case.path][0] if case.path in ARGUED else case.expected
    summary = [(s.get("field"), s.get("indication"), s.get("sub_indication"), s.get("modifications"),
                s.get("modifications_permitted")) for s in (body or {}).get("signatures", [])]
    assert got == expected, f"{case.path}: {got} (expected {expected}; evidence: {case.evidence}); {summary}"
    if status == 200:
        assert verdict_contradiction(body) is None, f"{case.path}: {verdict_contradiction(body)}"
        assert _undocumented(body) == [], f"{case.path}: keys missing from /openapi.json"
        for item in [*body["signatures"], *body["document_timestamps"]]:
            assert item["indication"] in ("TOTAL-PASSED", "TOTAL-FAILED", "INDETERMINATE"), item
            if item["indication"] != "TOTAL-PASSED":
                assert item["sub_indication"], item  # a standard sub-indication, always named
    else:
        assert body["title"] and body["detail"], body  # problem+json, never a bare error


def _undocumented(body: dict) -> list[str]:
    """Keys of a report that the OpenAPI document's ValidationReport schema does not name."""
    from signsvc.web.openapi import openapi_document

    schema = openapi_document()["components"]["schemas"]["ValidationReport"]["properties"]
    sig = schema["signatures"]["items"]["properties"]
    missing = [f"report.{k}" for k in set(body) - set(schema)]
    missing += [f"document.{k}" for k in set(body["document"]) - set(schema["document"]["properties"])]
    for s in body["signatures"]:
        missing += [f"signature.{k}" for k in set(s) - set(sig)]
        if s.get("timestamp"):
            missing += [f"timestamp.{k}" for k in set(s["timestamp"]) - set(sig["timestamp"]["properties"])]
    for t in body["document_timestamps"]:
        missing += [f"document_timestamp.{k}"
                    for k in set(t) - set(schema["document_timestamps"]["items"]["properties"])]
    return sorted(set(missing))


def test_argued_cases_are_in_the_corpus():
    """A stale entry in ``ARGUED`` would hide nothing but still mislead the reader."""
    assert set(ARGUED) <= {c.path for c in CASES}
    assert all(cls in ("intact_valid", "modified_after_signing", "invalid", "not_signed", "malformed")
               and len(why) > 80 for cls, why in ARGUED.values())


def test_corpus_is_complete():
    """The README promises 67 files in five classes; a partial checkout must not pass quietly."""
    assert len(CASES) == 67
    assert {c.expected for c in CASES} == {"intact_valid", "modified_after_signing", "invalid",
                                            "not_signed", "malformed"}
    assert all(c.file.is_file() for c in CASES)
