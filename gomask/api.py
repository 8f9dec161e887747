"""REST API plumbing shared by every app: error format and permission helpers."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from gomask.errors import DomainError, as_domain_error
from gomask.idempotency import Done

_DRF_CODES = {
    status.HTTP_400_BAD_REQUEST: "invalid",
    status.HTTP_401_UNAUTHORIZED: "not_authenticated",
    status.HTTP_403_FORBIDDEN: "forbidden",
    status.HTTP_404_NOT_FOUND: "not_found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
    status.HTTP_429_TOO_MANY_REQUESTS: "throttled",
}


def domain_error_response(error: DomainError) -> Response:
    return Response(error.as_dict(), status=error.status)


def exception_handler(exc, context):
    """Every API error is JSON `{"code", "message", ["fields"]}` with the right status."""
    error = as_domain_error(exc)
    if error is not None:
        return domain_error_response(error)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "code": "invalid",
            "message": _("Certaines données ne sont pas valides."),
            "fields": exc.detail,
        }
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        response.data = {
            "code": (
                "not_authenticated"
                if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed)
                else _DRF_CODES.get(response.status_code, "error")
            ),
            "message": str(detail),
        }
    return response


# --- one idempotency contract (gomask.idempotency) ------------------------------------------------

IDEMPOTENCY_KEY_HEADER = OpenApiParameter(
    name="Idempotency-Key",
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Clé choisie par le client (UUID conseillé, 1 à 100 caractères) : une demande rejouée avec la "
        "même clé n'enregistre rien de plus et renvoie le premier résultat (200) ; la même clé avec "
        "une autre demande est refusée (409, idempotency_key_reused)."
    ),
)


def idempotency_key(request) -> str | None:
    """The request's `Idempotency-Key` header, None when absent."""
    return request.headers.get("Idempotency-Key") or None


def created_or_replayed(done: Done, data) -> Response:
    """201 with what a write created; 200 with the same body when the request was a repeat."""
    return Response(data, status=status.HTTP_200_OK if done.replayed else status.HTTP_201_CREATED)
