"""Public API of the solidarity consultations: slot search, booking, cancellation.

Anonymous on purpose (patients book without an account): no authentication, so no CSRF
token is needed; bookings are rate-limited per client address like the HTML form.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from consultations import selectors, services
from consultations.serializers import (
    BookingCancelInputSerializer,
    BookingInputSerializer,
    BookingSerializer,
    ConsultationErrorSerializer,
    SiteResultSerializer,
    SiteSearchQuerySerializer,
    WaitingRoomSerializer,
)
from consultations.views import client_key
from gomask.api import created_or_replayed
from gomask.errors import InvalidInput
from territories.forms import CommuneField, PlaceField

ERRORS = {
    400: OpenApiResponse(ConsultationErrorSerializer, description="Données invalides"),
    404: OpenApiResponse(ConsultationErrorSerializer, description="Introuvable"),
    409: OpenApiResponse(
        ConsultationErrorSerializer, description="Créneau pris, passé, réservé en priorité…"
    ),
    429: OpenApiResponse(ConsultationErrorSerializer, description="Trop de demandes"),
}


def _booking_payload(booking) -> dict:
    token = services.booking_token(booking)
    booking.token = token
    booking.cancel_url = settings.SITE_URL + reverse("consultations:cancel", args=[token])
    return BookingSerializer(booking).data


class SiteSearchView(APIView):
    """Anyone: consultation sites nearest to a commune, with their next free slots."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[SiteSearchQuerySerializer], responses={200: SiteResultSerializer(many=True), **ERRORS}
    )
    def get(self, request):
        query = SiteSearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            commune = PlaceField().clean(query.validated_data["q"])
        except ValidationError as exc:
            message = " ".join(exc.messages)
            raise InvalidInput(message, code="invalid_commune", field="q") from exc
        results = selectors.search_sites(commune=commune)
        return Response(SiteResultSerializer(results, many=True).data)


class BookingCreateView(APIView):
    """Anyone (no account): book a free slot. Valid requests are rate-limited per client address;
    the same patient booking the same slot again gets their booking back (200)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=BookingInputSerializer,
        parameters=[
            OpenApiParameter(
                "X-Waiting-Room-Ticket",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description=(
                    "En période d'affluence (file d'attente active) : le ticket reçu dans une "
                    "réponse 429 `waiting_room`. Renvoyez la même demande avec ce ticket après "
                    "`retry_after` secondes ; les tickets passent dans l'ordre d'arrivée."
                ),
            )
        ],
        responses={
            201: BookingSerializer,
            200: BookingSerializer,
            **ERRORS,
            429: OpenApiResponse(
                WaitingRoomSerializer,
                description=(
                    "Trop de demandes depuis cette connexion (`rate_limited`), ou file d'attente "
                    "(`waiting_room` : ticket, position, délai avant de réessayer)"
                ),
            ),
        },
    )
    def post(self, request):
        data = BookingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        # In a rush most attempts are on slots just taken: those are answered before the commune
        # is looked up (book_slot checks again).
        services.refuse_if_taken(
            slot_id=values["slot"],
            first_name=values["first_name"],
            last_name=values["last_name"],
            birth_date=values["birth_date"],
        )
        # Where the patient lives decides the priority window: a postal code shared by several
        # communes is answered with their names to choose from, never guessed.
        try:
            commune = CommuneField().clean(values["commune"])
        except ValidationError as exc:
            raise InvalidInput(" ".join(exc.messages), code="invalid_commune", field="commune") from exc
        booked = services.book_slot(
            slot_id=values["slot"],
            first_name=values["first_name"],
            last_name=values["last_name"],
            birth_date=values["birth_date"],
            phone=values["phone"],
            email=values["email"],
            commune_code=commune.insee_code,
            has_regular_doctor=values["has_regular_doctor"],
            rate_limit_key=client_key(request),
        )
        return created_or_replayed(booked, _booking_payload(booked.value))


class BookingCancelView(APIView):
    """Whoever holds the signed booking reference: cancel the appointment."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=BookingCancelInputSerializer, responses={200: BookingSerializer, **ERRORS})
    def post(self, request):
        data = BookingCancelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        booking = services.cancel_booking(token=data.validated_data["token"])
        return Response(_booking_payload(booking))
