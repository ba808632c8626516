from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views.defaults import page_not_found
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from revops.errors import ApplicationError


def exception_handler(exc, context):
    """Turn service-layer errors into 400s that name the field, instead of 500s."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, ApplicationError):
        exc = exceptions.ValidationError(detail={"non_field_errors": [exc.message], **exc.extra})
    return drf_exception_handler(exc, context)


def not_found(request, exception=None):
    """handler404: API clients get JSON (as from the API views), people the usual page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


# --- OpenAPI: the error answers every operation can give ------------------------------------------

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": "`detail` for refusals; for invalid input, each offending field (or `non_field_errors`) "
                   "with its messages.",
    "properties": {
        "detail": {"type": "string"},
        "non_field_errors": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": {},
}
ERROR_RESPONSES = {
    "400": "Invalid input; the body names each offending field.",
    "401": "Not signed in (no or an unknown token).",
    "403": "Signed in, but not allowed to do this.",
    "404": "No such object, or not one you may see.",
    "429": "Too many requests; retry after the number of seconds in Retry-After.",
}


def document_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation documents the JSON error answers."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}}
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_RESPONSES.items():
                response = responses.setdefault(code, {"description": description})
                response.setdefault("content", content)
    return result
