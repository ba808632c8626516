from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import JsonResponse
from django.views.defaults import page_not_found
from django_filters import BaseCSVFilter, CharFilter, MultipleChoiceFilter
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, filters, serializers
from rest_framework.utils import html
from rest_framework.views import exception_handler as drf_exception_handler

from revops.errors import ApplicationError


def exception_handler(exc, context):
    """Turn service-layer errors into 400s that name the field, instead of 500s; a refusal that names
    nothing (a bare list of messages) becomes the documented object, under `non_field_errors`."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, ApplicationError):
        exc = exceptions.ValidationError(detail={"non_field_errors": [exc.message], **exc.extra})
    elif isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, list):
        exc = exceptions.ValidationError(detail={"non_field_errors": exc.detail})
    return drf_exception_handler(exc, context)


def not_found(request, exception=None):
    """handler404: API clients get JSON (as from the API views), people the usual page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


# --- querysets -------------------------------------------------------------------------------------

def own_columns(model) -> tuple[str, ...]:
    """Every column of ``model``'s own table, for ``.only()`` beside the few columns a list shows of the
    rows it joins (select_related loads whole rows otherwise)."""
    return tuple(field.name for field in model._meta.concrete_fields)


# --- strict input: refuse what DRF and django-filter would quietly ignore or coerce ----------------

class FilterBackend(DjangoFilterBackend):
    """DjangoFilterBackend that also refuses (400 naming the parameter) a filter sent empty, unless it
    takes text, and a single-valued filter sent more than once: django-filter would silently read the
    first as "no filter" and the second as its last value. Invalid values are the FilterSet's errors,
    refused as before."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        errors = {}
        params = request.query_params
        for name, declared in filterset.filters.items():
            values = params.getlist(name)
            multiple = isinstance(declared, (BaseCSVFilter, MultipleChoiceFilter))  # sort, role=a&role=b
            if len(values) > 1 and not multiple:
                errors[name] = ["Give this parameter once."]
            elif "" in values and not isinstance(declared, CharFilter):
                errors[name] = ["Empty: give a value or leave the parameter out."]
        if errors:
            raise exceptions.ValidationError(errors)
        if not filterset.is_valid() and self.raise_exception:
            raise exceptions.ValidationError(filterset.errors)
        return filterset.qs


class SearchFilter(filters.SearchFilter):
    """DRF's SearchFilter, whose refusal of a `search` value (a null character) names the parameter."""

    def get_search_terms(self, request):
        try:
            return super().get_search_terms(request)
        except exceptions.ValidationError as error:
            raise exceptions.ValidationError({self.search_param: error.detail}) from None


class StrictCharField(serializers.CharField):
    """Text that must be sent as a JSON string (DRF's CharField turns 0 or true into "0" / "True")."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictDecimalField(serializers.DecimalField):
    """A decimal sent as a string ("1200.00"), as the schema documents it; a JSON number is refused
    (a float such as 0.1 is not exact)."""

    default_error_messages = {"not_a_string": "Send the number as a string, e.g. \"1200.00\"."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """true or false in JSON (DRF's BooleanField also takes 0, 1, "yes", "on" …); form and multipart
    data, where every value is text, keep DRF's words."""

    def to_internal_value(self, data):
        if not isinstance(data, bool) and not html.is_html_input(getattr(self.root, "initial_data", None)):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictModelSerializer(serializers.ModelSerializer):
    """ModelSerializer whose generated text, decimal and yes/no fields are the strict ones above."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.DecimalField: StrictDecimalField,
        models.BooleanField: StrictBooleanField,
    }


class EmptyFormValuesRefused:
    """Serializer mixin: in form or query data DRF takes an optional field sent empty ("as_of=") for an
    absent one; refuse it (400 naming the field) unless the field may be blank or null."""

    def to_internal_value(self, data):
        if html.is_html_input(data):
            errors = {
                name: ["Empty: give a value or leave the field out."]
                for name, field in self.fields.items()
                if not field.read_only and data.get(name) == ""
                and not getattr(field, "allow_blank", False) and not field.allow_null
            }
            if errors:
                raise exceptions.ValidationError(errors)
        return super().to_internal_value(data)


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
# Operations that take a body also answer this when the body has no or another content type.
BODY_ERROR_RESPONSES = {"415": "Unsupported media type: send JSON, form or multipart data."}
# Operations whose body nests lists of objects take JSON only: a form cannot carry them, and a form
# PATCH would otherwise be answered 200 with the nested part silently left as it was.
JSON_ONLY_ERROR = "Unsupported media type: send JSON (Content-Type: application/json)."


def document_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation documents the JSON error answers."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}}
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            errors = dict(ERROR_RESPONSES)
            if "requestBody" in operation:
                errors.update(BODY_ERROR_RESPONSES)
                if set(operation["requestBody"].get("content", {})) == {"application/json"}:
                    errors["415"] = JSON_ONLY_ERROR
            for code, description in errors.items():
                response = responses.setdefault(code, {"description": description})
                response.setdefault("content", content)
    return result
