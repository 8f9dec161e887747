"""The one error path of HTML pages (the API has its twin in gomask.api.exception_handler).

A view lets a refusal go up; this middleware answers it with the right status:

- `NotFound` / `NotAllowed`: Django's own 404 / 403 pages (templates/404.html, 403.html);
- any other `DomainError`, a lock timeout or deadlock (`Busy`) and a fired database
  constraint (`Conflict`): templates/refused.html, the French message and a way back;
- a bare 405 from `require_POST` & co. (an address opened directly that only takes a form):
  templates/405.html instead of the browser's blank "HTTP ERROR 405".

Views that show a refusal next to their form still catch `DomainError` themselves, with
`refuse_on_form`; everything they do not catch ends here, never as a 500.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import defaults

from gomask.errors import DomainError, NotAllowed, NotFound, as_domain_error

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"


def refuse_on_form(form, error: DomainError) -> int:
    """Show a service's refusal next to the field it names (else on top of the form);
    returns the HTTP status to answer with."""
    form.add_error(error.field if error.field in form.fields else None, str(error.message))
    return error.status


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def _back_url(request) -> str | None:
    """Where the person came from, if it is a page of this site (to try again from there)."""
    referer = request.META.get("HTTP_REFERER")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return None


def render_refusal(request, error: DomainError):
    if isinstance(error, NotFound):
        return defaults.page_not_found(request, Http404(str(error.message)))
    if isinstance(error, NotAllowed):
        return defaults.permission_denied(request, PermissionDenied(str(error.message)))
    context = {"error": error, "status": error.status, "back_url": _back_url(request)}
    return render(request, "refused.html", context, status=error.status)


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        bare = not response.streaming and not response.content
        if response.status_code == 405 and bare and not _is_api(request):
            page = render(request, "405.html", {"back_url": _back_url(request)}, status=405)
            if response.has_header("Allow"):
                page["Allow"] = response["Allow"]
            return page
        return response

    def process_exception(self, request, exception):
        error = as_domain_error(exception)
        if error is None:
            return None
        if error is not exception:
            logger.warning("%s %s refused as %s: %r", request.method, request.path, error.code, exception)
        if _is_api(request):
            return JsonResponse(error.as_dict(), status=error.status)
        return render_refusal(request, error)
