"""The error hierarchy: every leaf is a real class stating its code, status, title and texts."""

from __future__ import annotations

import inspect

import pytest

from signsvc import errors
from signsvc.errors import Message, SignsvcError, problem_from

LEAVES = [cls for _, cls in inspect.getmembers(errors, inspect.isclass)
          if issubclass(cls, SignsvcError) and cls is not SignsvcError]


def test_every_leaf_is_a_named_class_with_its_own_code_and_texts() -> None:
    assert len(LEAVES) >= 38
    codes = [cls.code for cls in LEAVES if cls is not errors.UnexpectedError]
    assert len(codes) == len(set(codes)), "two error classes share a problem code"
    for cls in LEAVES:
        assert cls.__module__.rpartition(".")[0] == "signsvc.errors" and cls.__name__ in vars(errors)
        assert 400 <= cls.status <= 599, cls
        vi_title, en_title = cls.title.split(" / ", 1)
        assert vi_title and en_title, cls
        assert cls.default_message == Message(cls.vi, cls.en), cls
        assert cls.vi and cls.en and cls.vi != cls.en, cls


@pytest.mark.parametrize("cls", LEAVES, ids=lambda c: c.__name__)
def test_problem_body_of_each_leaf(cls: type[SignsvcError]) -> None:
    body = problem_from(cls(parameter="level"), "/v1/x").as_dict()
    assert body["type"] == f"urn:signsvc:problem:{cls.code}"
    assert (body["status"], body["code"], body["title"]) == (cls.status, cls.code, cls.title)
    assert body["detail"] == f"{cls.vi} / {cls.en}"
    assert (body["detail_vi"], body["detail_en"], body["parameter"]) == (cls.vi, cls.en, "level")


def test_known_leaves_keep_their_wire_values() -> None:
    assert (errors.BadRequest.code, errors.BadRequest.status) == ("bad-request", 400)
    assert (errors.PolicyDenied.code, errors.PolicyDenied.status) == ("policy-denied", 403)
    assert (errors.AttachmentModeConflict.code, errors.AttachmentModeConflict.status) == (
        "attachment-mode", 422)
    assert errors.SessionExpired.status == 410
    assert errors.TooManyAttempts.vi == "Đăng nhập sai quá nhiều lần; vui lòng thử lại sau."


def test_a_message_given_at_raise_time_replaces_the_default() -> None:
    err = errors.NotFound(Message("Không có.", "Nothing."), id="x")
    assert (err.detail, str(err), dict(err.extra)) == ("Không có. / Nothing.", "Nothing.", {"id": "x"})
    assert errors.NotFound().message == errors.NotFound.default_message


def test_subclass_stating_default_message_keeps_it_and_vi_en_follow() -> None:
    class Local(errors.BadRequest):
        code = "local"
        default_message = Message("Cục bộ.", "Local.")

    class Texts(errors.BadRequest):
        vi = "Văn bản."

    assert (Local.vi, Local.en, Local().detail) == ("Cục bộ.", "Local.", "Cục bộ. / Local.")
    assert Texts.default_message == Message("Văn bản.", errors.BadRequest.en)
