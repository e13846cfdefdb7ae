"""An unexpected failure behind a page (a library or store failing in an unforeseen way):
the official or auditor sees a page in Vietnamese with the request id and a way back --
never raw JSON or a bare "Internal Server Error" -- and the failure is audited."""

from __future__ import annotations

import pytest

from signsvc.services.context import RequestContext
from tests.integration.test_reports_pages import PASSWORD, logged_in


@pytest.fixture(scope="module")
def people(api):
    setup = RequestContext("page-errors", "tests", "admin")
    for name, role in (("pe-auditor", "auditor"), ("pe-official", "official")):
        api.services.clients.create(name, role, (), setup)
        api.services.login.set_password(setup, name, PASSWORD)
    return {"auditor": "pe-auditor", "official": "pe-official"}


def _broken(*_args, **_kwargs):
    raise KeyError("/Fields")   # what a library might raise on an odd document


@pytest.mark.parametrize("who,path,service,method", [
    ("official", "/documents", "documents", "awaiting"),
    ("auditor", "/auditor/audit", "audit", "list"),
])
def test_unexpected_failure_is_a_page_and_audited(api, people, monkeypatch, who, path, service, method):
    browser, _ = logged_in(api, people[who])
    before = api.services.audit.verify().as_dict()["checked"]
    monkeypatch.setattr(getattr(api.services, service), method, _broken)
    resp = browser.get(path)
    monkeypatch.undo()
    assert resp.status_code == 500
    assert resp.mimetype == "text/html"
    page = resp.get_data(as_text=True)
    request_id = resp.headers["X-Request-Id"]
    assert request_id in page and "internal-error" in page
    assert "Traceback" not in page and "KeyError" not in page and "/Fields" not in page
    assert 'href="/' in page           # a way back
    assert '<html lang="vi"' in page   # Vietnamese first
    failed = [r for r in api.services.audit.list(after_sequence=before) if r.request_id == request_id]
    assert [(r.action, r.outcome, r.details.get("exception")) for r in failed] == [
        ("http:request:failed", "error", "KeyError")]
