"""Reading request bodies and query strings into pydantic models, with JSON errors."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError

from ..errors import ApiError, ErrorCode

M = TypeVar("M", bound=BaseModel)


def _details(exc: ValidationError) -> list[dict[str, Any]]:
    return [{"loc": [str(x) for x in e["loc"]], "msg": e["msg"]} for e in exc.errors()[:20]]


#: Longest integer literal read as a number; longer ones stay text (Python refuses to read
#: integers of more than 4,300 digits, which would fail the whole body) and are refused by
#: the field that gets them, alone.
MAX_INT_DIGITS = 40


class NotANumber:
    """A JSON number the server does not read as one (``NaN``, ``Infinity``, 5,000 digits).

    Neither text nor a number, so no field of an event takes it and the event carrying it is
    refused alone (``invalid_event``), while the rest of the body is read.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text if len(text) <= 40 else f"{text[:20]}…({len(text)} digits)"

    def __repr__(self) -> str:
        return f"<number {self.text}>"


def _int(text: str) -> int | NotANumber:
    return NotANumber(text) if len(text) > MAX_INT_DIGITS else int(text)


def _constant(text: str) -> NotANumber:
    return NotANumber(text)


def parse_json(raw: bytes) -> Any:
    """The JSON document in ``raw``.

    A body nested too deep to read (100,000 brackets) is refused as such, not a 500; one that
    reads but nests deep inside an event is that event's problem (refused alone).

    :raises ApiError: 400 ``bad_request`` (not JSON), ``json_too_deep`` (nested too deep).
    """
    try:
        return json.loads(raw, parse_int=_int, parse_constant=_constant)
    except RecursionError:
        raise ApiError(
            400, ErrorCode.JSON_TOO_DEEP, "the body nests arrays or objects too deep to read"
        ) from None
    except ValueError:  # includes UnicodeDecodeError
        raise ApiError(400, ErrorCode.BAD_REQUEST, "the body is not valid JSON") from None


def json_body(model: type[M]) -> M:
    """:raises ApiError: 415 for a non-JSON body, 400 for bad JSON, JSON nested too deep or a
    schema violation (413 for a body over ``MAX_CONTENT_LENGTH``, from Flask).

    .. versionchanged:: 0.1
       Parsed here with bounded depth and number sizes: no body can be a 500.
    """
    if not request.is_json:
        raise ApiError(415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, "send the body as application/json")
    data = parse_json(request.get_data(cache=True))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(
            400, ErrorCode.VALIDATION_FAILED, "the request body is invalid", _details(exc)
        ) from None


def query(model: type[M]) -> M:
    """:raises ApiError: 400 for a bad or unknown query parameter."""
    try:
        return model.model_validate(dict(request.args.items()), strict=False)
    except ValidationError as exc:
        raise ApiError(
            400, ErrorCode.VALIDATION_FAILED, "invalid query parameters", _details(exc)
        ) from None
