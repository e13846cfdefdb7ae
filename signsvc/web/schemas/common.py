"""What every request schema shares: parsing a query string or a JSON object into a model,
and a pydantic validation error turned into the problem+json 400 ``bad-request`` that
names the parameter, in Vietnamese and English.

A field's own message (Vietnamese and English) is raised with :func:`bad_value` from a
validator; every other error of pydantic gets a message by its kind (missing, not one of,
too long, not an integer, not a string, unsupported parameter). An error that a validator
raises as a ``SignsvcError`` (for instance from the visible-signature parser, shared with
the command line) goes through pydantic unchanged, with its own status and code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from signsvc.errors import BadRequest, Message

M = TypeVar("M", bound=BaseModel)

#: the error type of :func:`bad_value`: its context carries the two texts
_OWN = "signsvc_message"
#: the largest integer SQLite stores (a paging parameter beyond it is refused, not a 500)
INT_MAX = 2**63 - 1


class Schema(BaseModel):
    """A request schema: frozen, unknown names ignored (``StrictSchema`` refuses them)."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=False)


class StrictSchema(Schema):
    """A request schema that answers 400 naming every parameter it does not know."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def bad_value(vi: str, en: str) -> PydanticCustomError:
    """The error a validator raises for a wrong value: its message, both languages."""
    return PydanticCustomError(_OWN, en, {"vi": vi, "en": en})


def _blank_is_none(value: Any) -> Any:
    """An empty query value means "not given" (``?level=`` takes the default)."""
    return None if value == "" else value


def digits(value: Any) -> Any:
    """``value`` as a non-negative int from ASCII digits (or an int); the schema error
    naming it otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        return int(value)
    raise bad_value("phải là số nguyên không âm.", "must be a non-negative integer.")


#: a query value whose empty string means "not given"
BlankIsNone = BeforeValidator(_blank_is_none)
#: a non-negative integer given as ASCII digits ("1", never "+1", " 1" or "1.0")
NonNegativeInt = Annotated[int, BeforeValidator(digits), Field(ge=0, le=INT_MAX)]


def parse_query(model: type[M], args: Mapping[str, str]) -> M:
    """``model`` from a query string (the first value of each name); ``BadRequest`` naming the
    first wrong parameter otherwise."""
    return parse_object(model, {name: args[name] for name in args})


def parse_object(model: type[M], data: Mapping[str, Any]) -> M:
    """``model`` from a JSON object or a form; ``BadRequest`` naming the first wrong field."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise bad_request(exc) from None


def bad_request(exc: ValidationError) -> BadRequest:
    """The 400 of a validation error: the first field in the schema's order that is wrong
    (unknown parameters, all named, after the known ones), in Vietnamese and English."""
    errors = exc.errors(include_url=False)
    unknown = sorted(str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden")
    known = [e for e in errors if e["type"] != "extra_forbidden"]
    if not known:
        names = ", ".join(unknown)
        return BadRequest(Message(f"Tham số không được hỗ trợ: {names}.",
                                  f"Unsupported parameter(s): {names}."), parameter=unknown[0])
    error = known[0]
    name = str(error["loc"][0]) if error["loc"] else ""
    return BadRequest(_message(name, error), **({"parameter": name} if name else {}))


def _message(name: str, error: Any) -> Message:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == _OWN:
        vi, en = ctx["vi"], ctx["en"]
        # a message that starts lower-case is about the value: it gets the name in front
        return Message(f"'{name}' {vi}", f"'{name}' {en}") if vi[:1].islower() else Message(vi, en)
    if kind == "missing":
        return Message(f"Thiếu tham số '{name}'.", f"The '{name}' parameter is missing.")
    if kind in ("literal_error", "enum"):
        allowed = ctx.get("expected", "").replace("'", "").replace(" or ", ", ")
        return Message(f"'{name}' phải là một trong: {allowed}.",
                       f"'{name}' must be one of: {allowed}.")
    if kind == "string_too_long":
        limit = ctx.get("max_length")
        return Message(f"Tham số '{name}' dài quá {limit} ký tự.",
                       f"'{name}' is longer than {limit} characters.")
    if kind in ("string_too_short",):
        return Message(f"Thiếu tham số '{name}'.", f"The '{name}' parameter is missing.")
    if kind in ("less_than_equal", "greater_than_equal", "int_parsing", "int_type"):
        return Message(f"'{name}' phải là số nguyên không âm.",
                       f"'{name}' must be a non-negative integer.")
    if kind == "string_type":
        return Message(f"'{name}' phải là một chuỗi.", f"'{name}' must be a string.")
    return Message(f"Giá trị của '{name}' không hợp lệ.", f"The value of '{name}' is not valid.")
