"""The OpenAPI 3.1 document of the sync API, built from the pydantic models the views use.

Served at ``/api/v1/openapi.json``; ``server/api/openapi.json`` is the same document written
out (``tillclub server openapi``) and a test keeps the two identical. Schemathesis runs against
the served one.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from . import schemas as s

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")
STORED = Path(__file__).with_name("openapi.json")
REF = "#/components/schemas/{model}"


def _json(model: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": REF.format(model=model)}}}


def _errors(*statuses: int) -> dict[str, Any]:
    text = {
        400: "Malformed request (code: bad_request or validation_failed).",
        401: "Missing, invalid or revoked credential (code: unauthorized or terminal_revoked).",
        403: "Unknown, used or expired registration code (code: invalid_registration_code; "
        "invalid_enrolment_code on the deprecated /terminals/enrol).",
        409: "The cursor is ahead of the server (code: cursor_ahead): take a new snapshot; or "
        "the server started a new epoch (code: epoch_changed, details.epoch): push again every "
        "held event, then take a new snapshot. Nothing was applied.",
        413: "Body larger than the server's limit (code: payload_too_large).",
        415: "Body is not application/json (code: unsupported_media_type).",
        429: "Rate limit for this terminal exceeded (code: rate_limited).",
    }
    return {str(st): {"description": text[st], "content": _json("Error")} for st in statuses}


BEARER: list[dict[str, list[str]]] = [{"terminal": []}]


@cache
def document() -> dict[str, Any]:
    models: list[type[BaseModel]] = [
        s.Error,
        s.RegistrationRequest,
        s.RegistrationResponse,
        s.ChangesResponse,
        s.EventsRequest,
        s.EventsResponse,
        s.Health,
        s.Ready,
        *s.EVENT_MODELS,
    ]
    _, top = models_json_schema([(m, "validation") for m in models], ref_template=REF)
    components = top["$defs"]
    query_props = s.ChangesQuery.model_json_schema()["properties"]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "tillclub sync API",
            "version": "1",
            "description": "Agents pull changes and push sale events. See docs/sync-protocol.md.",
        },
        "components": {
            "schemas": components,
            "securitySchemes": {
                "terminal": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "tc1.<terminal>.<secret>",
                }
            },
        },
        "paths": {
            "/healthz": {
                "get": {
                    "operationId": "healthz",
                    "summary": "Liveness",
                    "responses": {"200": {"description": "Alive", "content": _json("Health")}},
                }
            },
            "/readyz": {
                "get": {
                    "operationId": "readyz",
                    "summary": "Readiness: database reachable and migrated",
                    "responses": {
                        "200": {"description": "Ready", "content": _json("Ready")},
                        "503": {"description": "Not ready", "content": _json("Ready")},
                    },
                }
            },
            "/api/v1/terminals/register": {
                "post": {
                    "operationId": "registerTerminal",
                    "summary": "Exchange a one-time registration code for the terminal's "
                    "credential",
                    "requestBody": {"required": True, "content": _json("RegistrationRequest")},
                    "responses": {
                        "201": {
                            "description": "Registered; the credential is shown once",
                            "content": _json("RegistrationResponse"),
                        },
                        **_errors(400, 403, 413, 415, 429),
                    },
                }
            },
            "/api/v1/terminals/enrol": {
                "post": {
                    "operationId": "enrolTerminal",
                    "deprecated": True,
                    "summary": "Deprecated alias of /api/v1/terminals/register",
                    "description": "The path of tills deployed before the rename: the same body "
                    "and answer, a 'Deprecation: true' header and a 'Link' to the new path; a "
                    "refused code answers 403 with the old code invalid_enrolment_code. See "
                    "docs/sync-protocol.md.",
                    "requestBody": {"required": True, "content": _json("RegistrationRequest")},
                    "responses": {
                        "201": {
                            "description": "Registered; the credential is shown once",
                            "content": _json("RegistrationResponse"),
                        },
                        **_errors(400, 403, 413, 415, 429),
                    },
                }
            },
            "/api/v1/changes": {
                "get": {
                    "operationId": "getChanges",
                    "summary": "Changes since a cursor, in server sequence order",
                    "security": BEARER,
                    "parameters": [
                        {"name": name, "in": "query", "required": False, "schema": schema}
                        for name, schema in query_props.items()
                    ],
                    "responses": {
                        "200": {
                            "description": "A page of changes",
                            "content": _json("ChangesResponse"),
                        },
                        **_errors(400, 401, 409, 429),
                    },
                }
            },
            "/api/v1/snapshot": {
                "get": {
                    "operationId": "getSnapshot",
                    "summary": "Everything the terminal may see, as gzip JSON lines, "
                    "with the cursor to continue from",
                    "security": BEARER,
                    "responses": {
                        "200": {
                            "description": "Line 1: {type: snapshot, cursor}; then one change "
                            "object per line; last: {type: end, count}",
                            "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
                        },
                        **_errors(401, 409, 429),
                    },
                }
            },
            "/api/v1/events": {
                "post": {
                    "operationId": "pushEvents",
                    "summary": "Push a batch of till events; exactly-once by event id",
                    "security": BEARER,
                    "requestBody": {"required": True, "content": _json("EventsRequest")},
                    "responses": {
                        "200": {
                            "description": "Applied ids, rejections, flags",
                            "content": _json("EventsResponse"),
                        },
                        **_errors(400, 401, 409, 413, 415, 429),
                    },
                }
            },
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.1",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
    }


def rendered() -> str:
    return json.dumps(document(), indent=2, sort_keys=True) + "\n"


@bp.get("/openapi.json")
def openapi_json() -> Response:
    return current_app.response_class(rendered(), mimetype="application/json")
