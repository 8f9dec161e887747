"""The open-data feeds: anonymous, read-only, JSON / CSV / GeoJSON, served from the cache.

Who may use them: everyone, without an account (no authentication is even read, so a logged-in
user gets exactly the same cached document). Rate-limited per client address.
"""

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from gomask.errors import DomainError
from opendata import feeds, params
from opendata.http import TooManyRequests, client_address
from opendata.selectors import PUBLISHED_BANDS
from opendata.serializers import CareSiteFeedSerializer, ConsultationFeedSerializer, PharmacyFeedSerializer
from pharmacies.serializers import ErrorSerializer


class _IgnoreFormatParameter(BaseContentNegotiation):
    """`format` is the feed's own parameter here, not DRF's renderer override."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type

    def select_parser(self, request, parsers):
        return None


def _error_response(error: DomainError, *, csv: bool) -> HttpResponse:
    if csv:
        response = HttpResponse(
            f"{error.message}\n", status=error.status, content_type="text/plain; charset=utf-8"
        )
    else:
        response = HttpResponse(
            JSONRenderer().render(error.as_dict()), status=error.status, content_type="application/json"
        )
    if error.status == 429:
        response["Retry-After"] = "60"
    response["Access-Control-Allow-Origin"] = "*"
    return response


FORMAT = OpenApiParameter(
    "format", str, enum=list(params.FORMATS), required=False, description="json (défaut), csv ou geojson."
)
DEPARTEMENT = OpenApiParameter(
    "departement", str, required=False, description="Code INSEE du département : 32, 2A, 971…"
)
BBOX = OpenApiParameter(
    "bbox",
    str,
    required=False,
    description="Zone : longitude min, latitude min, longitude max, latitude max (ex. 0.1,43.5,0.3,43.8).",
)
PRODUCT = OpenApiParameter("product", str, required=False, description="Code d'un produit : surgical, ffp2…")
CONDITIONAL = [
    OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, required=False),
    OpenApiParameter("If-Modified-Since", str, OpenApiParameter.HEADER, required=False),
]
LICENCE_NOTE = (
    "Données sous Licence Ouverte / Open Licence 2.0 (Etalab). Sans compte. Réponses avec ETag et "
    "Last-Modified : 304 si rien n'a changé. Un changement apparaît en 30 secondes au plus "
    "(OPENDATA_REFRESH_SECONDS). Limite de requêtes par adresse : 429 au-delà."
)


def _responses(serializer):
    return {
        (200, "application/json"): serializer,
        (200, "application/geo+json"): OpenApiResponse(OpenApiTypes.OBJECT, description="FeatureCollection"),
        (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV UTF-8, une ligne d'en-têtes"),
        304: OpenApiResponse(description="Inchangé depuis l'ETag ou la date donnés"),
        400: OpenApiResponse(ErrorSerializer, description="Paramètre invalide (message en français)"),
        429: OpenApiResponse(ErrorSerializer, description="Trop de requêtes depuis cette adresse"),
    }


class FeedView(APIView):
    feed: feeds.Feed
    feed_key: str
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _IgnoreFormatParameter

    def get(self, request):
        client = client_address(request)
        try:
            try:
                output, filters = params.parse(self.feed_key, request.GET)
            except DomainError:
                # Bad requests count too; past the limit the answer is 429 whatever the input.
                if settings.OPENDATA_RATE_LIMIT and (
                    feeds.count_request(client, feeds.now()) > settings.OPENDATA_RATE_LIMIT
                ):
                    raise TooManyRequests() from None
                raise
            document = feeds.document(self.feed, output, filters, client=client)
        except DomainError as error:
            return _error_response(error, csv=request.GET.get("format") == "csv")
        return document_response(self.feed, document, output, request)


def document_response(feed: feeds.Feed, document, output: str, request) -> HttpResponse:
    """The answer for a feed document: 200 with its body, or 304 when the client has it."""
    response = get_conditional_response(
        request, etag=document.etag, last_modified=document.last_modified
    ) or HttpResponse(document.body, content_type=document.content_type)
    if response.status_code == 200 and output == "csv":
        response["Content-Disposition"] = f'inline; filename="{feed.name}.csv"'
    response["ETag"] = document.etag
    response["Last-Modified"] = http_date(document.last_modified)
    response["Cache-Control"] = f"public, max-age={document.max_age}"
    response["Access-Control-Allow-Origin"] = "*"
    response["Link"] = f'<{feeds.LICENCE["url"]}>; rel="license"'
    return response


def fast_response(view_class: type["FeedView"], request) -> HttpResponse | None:
    """The feed answered before the rest of the middleware stack (opendata.fast), with the same
    parameters, rate limit (counted once) and headers; None for anything but a document (a bad
    parameter, 429…): the full stack then answers it, in the client's language."""
    try:
        output, filters = params.parse(view_class.feed_key, request.GET)
        document = feeds.document(view_class.feed, output, filters, client=client_address(request))
    except DomainError:
        return None
    return document_response(view_class.feed, document, output, request)


class PharmacyFeedView(FeedView):
    feed = feeds.PHARMACIES
    feed_key = "pharmacies"

    @extend_schema(
        operation_id="opendata_pharmacies",
        summary="Officines ouvertes et leur stock de masques par tranche",
        description=f"{LICENCE_NOTE} Tranches : {', '.join(PUBLISHED_BANDS)} masques disponibles.",
        parameters=[FORMAT, DEPARTEMENT, PRODUCT, BBOX, *CONDITIONAL],
        responses=_responses(PharmacyFeedSerializer),
        auth=[],
        tags=["donnees-ouvertes"],
    )
    def get(self, request):
        return super().get(request)


class CareSiteFeedView(FeedView):
    feed = feeds.CARE_SITES
    feed_key = "care_sites"

    @extend_schema(
        operation_id="opendata_care_sites",
        summary="Sites de soins et leur statut déclaré",
        description=f"{LICENCE_NOTE} Position : celle de la commune. Statut : pas encore publié.",
        parameters=[FORMAT, DEPARTEMENT, BBOX, *CONDITIONAL],
        responses=_responses(CareSiteFeedSerializer),
        auth=[],
        tags=["donnees-ouvertes"],
    )
    def get(self, request):
        return super().get(request)


class ConsultationFeedView(FeedView):
    feed = feeds.CONSULTATIONS
    feed_key = "consultations"

    @extend_schema(
        operation_id="opendata_consultations",
        summary="Consultations solidaires : créneaux libres par lieu et par jour",
        description=LICENCE_NOTE,
        parameters=[FORMAT, DEPARTEMENT, BBOX, *CONDITIONAL],
        responses=_responses(ConsultationFeedSerializer),
        auth=[],
        tags=["donnees-ouvertes"],
    )
    def get(self, request):
        return super().get(request)
