"""The feeds' fast path: a GET on a feed is answered from the cache before the middleware stack.

The feeds read no session, user, CSRF token or language, yet each request went through the whole
stack (sessions, locale, CSRF, authentication, history, messages, allauth, account gates, CSP…),
which cost more than the feed itself (bench/bench_opendata.py). This middleware, placed right
after SecurityMiddleware (whose headers the answers keep), answers GET requests on the three feed
addresses with `opendata.api.fast_response`: the same parameter checks, the same rate limit per
client (gomask.client_ip: TRUSTED_PROXY_COUNT), the same ETag/Last-Modified/304 and headers.

What it does not answer goes on through the full stack, unchanged: another method or address, a
host not in ALLOWED_HOSTS, input the input guard refuses, a bad parameter or a 429 (answered
there, in the client's language). OPENDATA_FAST_PATH=false turns it off.
"""

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from gomask.input_guard import RefusedText, check_request

PREFIX = "/api/donnees-ouvertes/"


class FeedFastPathMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._routes: dict | None = None

    def routes(self) -> dict:
        if self._routes is None:
            from opendata import api

            self._routes = {
                reverse("opendata:pharmacies"): api.PharmacyFeedView,
                reverse("opendata:care-sites"): api.CareSiteFeedView,
                reverse("opendata:consultations"): api.ConsultationFeedView,
            }
        return self._routes

    def __call__(self, request):
        if (
            request.method == "GET"
            and settings.OPENDATA_FAST_PATH
            and request.path_info.startswith(PREFIX)
            and request.path_info in self.routes()
        ):
            response = self.serve(request, self.routes()[request.path_info])
            if response is not None:
                return response
        return self.get_response(request)

    def serve(self, request, view_class):
        from opendata.api import fast_response

        try:
            request.get_host()
            check_request(request)
        except (DisallowedHost, RefusedText):
            return None
        response = fast_response(view_class, request)
        if response is not None:
            response["X-Frame-Options"] = "DENY"
            # As the full stack would say (LocaleMiddleware): caches keep one copy per language.
            patch_vary_headers(response, ("Accept-Language",))
        return response
