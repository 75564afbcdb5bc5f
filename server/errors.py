"""API errors: one ``Enum`` of stable codes, JSON bodies ``{"code", "message"}``, handlers.

Every error an agent or client can see is listed in ``ErrorCode``; the code is the contract,
the message is for people and may change.

JSON is for the APIs only: an area people use in a browser (``/admin``, ``/portal``) registers
its HTML error page for its URL prefix (:func:`register_page`), and every error under that
prefix (a routing 404 or 405 no blueprint sees, a 400, 403, 413, a crash) is rendered by it,
in the person's language, with a way back.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, jsonify, make_response, request
from werkzeug.exceptions import BadRequest, HTTPException

log = logging.getLogger("tillclub.server.errors")


class ErrorCode(enum.Enum):
    BAD_REQUEST = "bad_request"
    JSON_TOO_DEEP = "json_too_deep"
    VALIDATION_FAILED = "validation_failed"
    UNAUTHORIZED = "unauthorized"
    TERMINAL_REVOKED = "terminal_revoked"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    RATE_LIMITED = "rate_limited"
    INVALID_REGISTRATION_CODE = "invalid_registration_code"
    # Deprecated: the same refusal on the old path (POST /api/v1/terminals/enrol) only.
    INVALID_ENROLMENT_CODE = "invalid_enrolment_code"
    CURSOR_AHEAD = "cursor_ahead"
    EPOCH_CHANGED = "epoch_changed"
    INTERNAL_ERROR = "internal_error"


_HTTP_CODES = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    406: ErrorCode.NOT_ACCEPTABLE,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    429: ErrorCode.RATE_LIMITED,
}


class ApiError(Exception):
    """Raised by handlers; rendered as ``{"code": ..., "message": ..., "details"?: ...}``."""

    def __init__(self, status: int, code: ErrorCode, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def error_response(status: int, code: ErrorCode, message: str, details: Any = None) -> Response:
    body: dict[str, Any] = {"code": code.value, "message": message}
    if details is not None:
        body["details"] = details
    response = jsonify(body)
    response.status_code = status
    return response


class PageRefusal(BadRequest):
    """A 400 whose reason a person reads on an area's error page: ``message`` is an English
    message of that area's table (translated there), ``values`` fill its ``{name}``s."""

    def __init__(self, message: str, **values: object) -> None:
        super().__init__(message)
        self.message = message
        self.values = values


# An area's error page: (status, the exception or None for a crash) -> the HTML response.
ErrorPage = Callable[[int, Exception | None], Any]
_PAGES = "tillclub.error_pages"


def register_page(app: Flask, prefix: str, page: ErrorPage) -> None:
    """Render errors under ``prefix`` (``"/admin"``) with ``page`` instead of JSON."""
    app.extensions.setdefault(_PAGES, {})[prefix] = page


def _page_for_request() -> ErrorPage | None:
    pages: dict[str, ErrorPage] = current_app.extensions.get(_PAGES, {})
    path = request.path
    for prefix, page in pages.items():
        if path == prefix or path.startswith(prefix + "/"):
            return page
    return None


def _html(page: ErrorPage, status: int, exc: Exception | None) -> Response:
    response = make_response(page(status, exc))
    response.status_code = status
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.details)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        page = _page_for_request()
        if page is not None:
            response = _html(page, status, exc)
            valid = getattr(exc, "valid_methods", None)
            if status == 405 and valid:
                response.headers["Allow"] = ", ".join(valid)
            return response
        code = _HTTP_CODES.get(
            status, ErrorCode.BAD_REQUEST if status < 500 else ErrorCode.INTERNAL_ERROR
        )
        message = exc.description or exc.name
        if status == 429:
            message = f"too many requests: limit {exc.description}"
        response = error_response(status, code, message)
        valid_methods = getattr(exc, "valid_methods", None)
        if status == 405 and valid_methods:
            response.headers["Allow"] = ", ".join(valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        page = _page_for_request()
        if page is not None:
            try:
                return _html(page, 500, exc)
            except Exception:  # the page itself failing must still answer
                log.exception("error page failed")
        return error_response(500, ErrorCode.INTERNAL_ERROR, "internal server error")
