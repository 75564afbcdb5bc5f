"""Reading request bodies and query strings into pydantic models, with JSON errors."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError

from ..errors import ApiError, ErrorCode

M = TypeVar("M", bound=BaseModel)


def _details(exc: ValidationError) -> list[dict[str, Any]]:
    return [{"loc": [str(x) for x in e["loc"]], "msg": e["msg"]} for e in exc.errors()[:20]]


def json_body(model: type[M]) -> M:
    """:raises ApiError: 415 for a non-JSON body, 400 for bad JSON or a schema violation."""
    if not request.is_json:
        raise ApiError(415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, "send the body as application/json")
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(400, ErrorCode.BAD_REQUEST, "the body is not valid JSON")
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
