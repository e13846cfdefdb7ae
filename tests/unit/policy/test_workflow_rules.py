"""WF-5 (attachments: same file / separate file) and WF-6 (copies by the clerk only) as
policy rules, and the seal-after-official exemption of the agency-only stamps."""

from __future__ import annotations

from tests.unit.policy.test_policy_rules import _decide, facts


def _outcome(rule, f, **params):
    result = _decide(rule, params, f).results[0]
    return result.outcome, result


def test_copies_only_by_the_clerk_with_the_agency_key():
    assert _outcome("workflow.copies", facts(appearance="copy", role="clerk"))[0] == "pass"
    outcome, result = _outcome("workflow.copies", facts(appearance="copy", role="portal"))
    assert outcome == "fail" and "vai trò portal không được ký bản sao" in result.message.vi
    assert "role portal may not sign copies" in result.message.en
    assert result.evaluated["roles"] == ["clerk"]
    outcome, result = _outcome("workflow.copies", facts(appearance="copy", role="clerk",
                                                        key_kind="official"))
    assert outcome == "fail" and "agency-seal" in result.message.en
    # configurable roles; other profiles are not concerned
    assert _outcome("workflow.copies", facts(appearance="copy", role="portal"),
                    roles=["clerk", "portal"])[0] == "pass"
    assert _outcome("workflow.copies", facts(appearance="seal", role="portal"))[0] == "skip"
    assert _outcome("workflow.copies", facts(role="portal"))[0] == "skip"


def test_attachments_same_file_refused_separate_file_agency_only():
    # same_file: only the main document is signed, the attachment stamp is refused
    outcome, result = _outcome("workflow.attachments",
                               facts(appearance="attachment", attachment_mode="same_file"))
    assert outcome == "fail" and "same_file" in result.message.vi
    assert _decide("workflow.attachments", {}, facts(appearance="attachment",
                                                     attachment_mode="same_file")).denied_by
    # the main document's own agency signature in same_file mode is fine
    outcome, result = _outcome("workflow.attachments",
                               facts(appearance="seal", attachment_mode="same_file"))
    assert outcome == "pass" and "only one" in result.message.en
    # separate_file (said, or the configured default): agency key required
    assert _outcome("workflow.attachments", facts(appearance="attachment"))[0] == "pass"
    assert _outcome("workflow.attachments", facts(appearance="attachment"),
                    default_mode="same_file")[0] == "fail"
    outcome, result = _outcome("workflow.attachments",
                               facts(appearance="attachment", key_kind="official"))
    assert outcome == "fail" and result.evaluated["attachment_mode"] == "separate_file"
    assert _outcome("workflow.attachments", facts())[0] == "skip"


def test_agency_only_stamps_need_no_prior_official_signature():
    for profile in ("copy", "attachment"):
        assert _outcome("eservice.seal-after-official",
                        facts(prior_signatures=(), appearance=profile, role="clerk"))[0] == "skip"
        # made by the portal (not a role of workflow.copies): no exemption (issue 11)
        assert _outcome("eservice.seal-after-official",
                        facts(prior_signatures=(), appearance=profile, role="portal"))[0] == "fail"
    assert _outcome("eservice.seal-after-official",
                    facts(prior_signatures=(), appearance="seal"))[0] == "fail"


def test_policy_file_rejects_a_wrong_attachment_mode():
    import pytest

    from signsvc.policy.loader import PolicyError, parse_policy

    text = 'version = "t"\n[rules."workflow.attachments"]\nlevel = "deny"\ndefault_mode = "x"\n'
    with pytest.raises(PolicyError) as err:
        parse_policy(text, ())
    assert err.value.message.en == ("Policy, line 4: default_mode must be separate_file or "
                                    "same_file")
