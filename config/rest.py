"""The API's one error shape, and the If-Match / ETag helpers every write uses.

Every error body is `{"type", "title", "status", "detail", "errors": {field: [messages]}}`
(RFC 9457 problem details, with per-field messages for validation errors).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = 'Send the version you read in an If-Match header, for example If-Match: "3".'
    default_code = "precondition_required"


def problem(*, status_code: int, detail: str, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    from http import HTTPStatus

    return {
        "type": "about:blank",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
        "errors": errors or {},
    }


def _field_errors(data: Any) -> dict[str, list[str]]:
    if isinstance(data, dict):
        return {
            ("non_field_errors" if key == "__all__" else str(key)): [str(m) for m in _flatten(value)]
            for key, value in data.items()
        }
    return {"non_field_errors": [str(m) for m in _flatten(data)]}


def _flatten(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return [m for v in value for m in _flatten(v)]
    if isinstance(value, dict):
        return [f"{k}: {m}" for k, v in value.items() for m in _flatten(v)]
    return [value]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn every error, the services' django ValidationError included, into one problem body."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = problem(
            status_code=response.status_code,
            detail="The request has invalid fields.",
            errors=_field_errors(exc.detail),
        )
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        body = problem(status_code=response.status_code, detail=str(detail))
    response.data = body
    return response


def etag(version: int) -> str:
    return f'"{version}"'


def if_match_version(request: Request) -> int:
    """The version the client read, from If-Match; 428 when missing, 400 when it is not a version."""
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired()
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise exceptions.ValidationError({"If-Match": ['Send an ETag this API gave you, for example "3".']})
    return int(value)
