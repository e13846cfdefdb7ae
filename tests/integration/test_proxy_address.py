"""The client's address behind nginx: taken from the trusted proxy's X-Forwarded-For only
when [service] proxy_hops says a proxy is in front, never from what a client wrote."""

from __future__ import annotations

from tests.conftest import build_api


def _recorded_address(api, headers: dict) -> str:
    before = api.services.audit.verify().as_dict()["checked"]
    resp = api.client.get("/v1/keys", headers={**api.headers("portal"), **headers},
                          environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert resp.status_code == 200
    (rec,) = api.services.audit.list(after_sequence=before)
    return rec.client_address


def test_forwarded_for_is_used_only_from_the_trusted_hop(dev_pki, responders, tmp_path):
    behind = build_api(tmp_path / "behind", service__proxy_hops="1")
    direct = build_api(tmp_path / "direct")
    try:
        forged_then_real = {"X-Forwarded-For": "6.6.6.6, 203.0.113.7"}
        # nginx appends the address it saw: the last entry is the client, what came before
        # was written by the client and is ignored
        assert _recorded_address(behind, forged_then_real) == "203.0.113.7"
        # no proxy configured: the header is the client's own text and changes nothing
        assert _recorded_address(direct, forged_then_real) == "127.0.0.1"
    finally:
        behind.services.shutdown()
        direct.services.shutdown()
