from django.core.exceptions import ValidationError as DjangoValidationError
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
