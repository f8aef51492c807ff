"""JSON answers, and the error bodies of each endpoint family.

Every JSON body leaves through `json_response` (runner.json_text: ASCII, compact, never
NaN). An error is an ApiError; each family writes it in the format its clients parse,
declared as an ErrorFormat (the path prefixes it answers under, and its body). The app
keeps one fixed table of the families' formats (runner/api/app.py); REST_ERRORS is the
format of every path no family claims.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from quart import Response

from runner import json_text
from runner.errors import ApiError, EngineFailure, StaxError, StoreUnavailable, Unavailable

if TYPE_CHECKING:
    from collections.abc import Callable

    from runner.expressions.values import JSONValue


def json_response(
    payload: JSONValue, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        json_text.dumps(payload), status=status, content_type="application/json", headers=headers
    )


@dataclass(frozen=True, slots=True)
class ErrorFormat:
    """How one family writes its errors: `body(error)` for the paths under `prefixes`."""

    prefixes: tuple[str, ...]
    body: Callable[[ApiError], JSONValue]

    def claims(self, path: str) -> bool:
        return path.startswith(self.prefixes)


def rest_error(error: ApiError) -> JSONValue:
    """{"error": {"type", "message"}}: the REST surface's errors, and the default."""
    return {"error": {"type": error.error_type, "message": error.message}}


REST_ERRORS = ErrorFormat(("/",), rest_error)


def error_text(error: ApiError, errors: ErrorFormat) -> str:
    """The error's JSON body in the format `errors`."""
    return json_text.dumps(errors.body(error))


def error_response(error: ApiError, errors: ErrorFormat) -> Response:
    """The error as a JSON response in the format `errors`, with its status (and, for a
    401, the `WWW-Authenticate` challenge)."""
    response = Response(
        error_text(error, errors), status=error.status, content_type="application/json"
    )
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="stax"'
    return response


def as_api_error(error: StaxError) -> ApiError:
    """The HTTP error a StaxError stands for: the engine and the daemon raise domain
    errors, and this is the one place that gives each its status. Anything else a user
    gets wrong (a RunError, a WorkflowError, ...) is a 422."""
    match error:
        case ApiError():
            return error
        case StoreUnavailable():
            return ApiError(503, "store_unavailable", str(error))
        case Unavailable():
            return ApiError(503, "unavailable", str(error))
        case EngineFailure():
            return ApiError(500, "internal_error", str(error))
        case _:
            return ApiError(422, "invalid_request_error", str(error))
