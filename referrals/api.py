"""REST API of the referrals app; the same selectors and services as the pages."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasRole
from distribution.models import CareSiteKind
from gomask.errors import InvalidInput
from pharmacies.serializers import ErrorSerializer
from referrals import selectors, services
from referrals.forms import TypedPlaceField
from referrals.models import SiteState
from referrals.selectors import NEAREST_DEFAULT_LIMIT, NEAREST_MAX_LIMIT, TRACKS, SiteFilters

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Données invalides"),
    403: OpenApiResponse(ErrorSerializer, description="Hors de votre périmètre"),
    404: OpenApiResponse(ErrorSerializer, description="Site introuvable"),
}


class NearestQuerySerializer(serializers.Serializer):
    latitude = serializers.FloatField(required=False, min_value=-90, max_value=90)
    longitude = serializers.FloatField(required=False, min_value=-180, max_value=180)
    place = serializers.CharField(
        required=False, max_length=100, help_text=_("Code postal ou commune, à la place des coordonnées.")
    )
    kind = serializers.ChoiceField(choices=CareSiteKind.choices, required=False)
    track = serializers.ChoiceField(choices=[(t, t) for t in TRACKS], required=False)
    open_now = serializers.BooleanField(required=False, default=False)
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=NEAREST_MAX_LIMIT, default=NEAREST_DEFAULT_LIMIT
    )

    def validate(self, attrs):
        has_point = "latitude" in attrs and "longitude" in attrs
        if not has_point and not attrs.get("place"):
            raise serializers.ValidationError(_("Indiquez latitude et longitude, ou un code postal (place)."))
        return attrs


class SiteRowSerializer(serializers.Serializer):
    site_id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    address = serializers.CharField()
    commune = serializers.CharField()
    phone = serializers.CharField()
    opening_hours = serializers.CharField()
    access_conditions = serializers.CharField()
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    distance_km = serializers.FloatField()
    state = serializers.ChoiceField(choices=SiteState.choices)
    capacity_left = serializers.IntegerField(allow_null=True)
    covid_track = serializers.BooleanField()
    non_covid_track = serializers.BooleanField()
    declared_at = serializers.DateTimeField()
    stale = serializers.BooleanField(help_text=_("Statut de plus de 24 h."))


class NearestSitesView(APIView):
    """Health professionals: the nearest care sites accepting referrals now, with their status."""

    permission_classes = [HasRole.of(*services.SENDER_ROLES, *selectors.STAFF_ROLES)]

    @extend_schema(
        operation_id="referrals_nearest_sites",
        parameters=[NearestQuerySerializer],
        responses={200: SiteRowSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        query = NearestQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        if "latitude" in data and "longitude" in data:
            latitude, longitude = data["latitude"], data["longitude"]
        else:
            try:
                commune = TypedPlaceField().clean(data["place"])
            except ValidationError as exc:
                raise InvalidInput(" ".join(exc.messages), code="invalid_place", field="place") from exc
            latitude, longitude = commune.latitude, commune.longitude
        rows = selectors.nearest_accepting_sites(
            latitude=latitude,
            longitude=longitude,
            filters=SiteFilters(
                kind=data.get("kind", ""), track=data.get("track", ""), open_now=data["open_now"]
            ),
            limit=data["limit"],
        )
        return Response(SiteRowSerializer(rows, many=True).data)


class StatusInputSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=SiteState.choices)
    capacity_left = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100_000)
    covid_track = serializers.BooleanField(required=False, default=False)
    non_covid_track = serializers.BooleanField(required=False, default=False)
    accepts_referrals = serializers.BooleanField(required=False, default=False)


class StatusSerializer(serializers.Serializer):
    site_id = serializers.IntegerField()
    state = serializers.CharField()
    capacity_left = serializers.IntegerField(allow_null=True)
    covid_track = serializers.BooleanField()
    non_covid_track = serializers.BooleanField()
    accepts_referrals = serializers.BooleanField()
    declared_at = serializers.DateTimeField()


class SiteStatusView(APIView):
    """The site's manager (or ARS/CPTS staff in scope): declare the site's status."""

    @extend_schema(
        operation_id="referrals_site_status",
        request=StatusInputSerializer,
        responses={200: StatusSerializer, **ERRORS},
    )
    def post(self, request, site_id: int):
        selectors.declarable_site(request.user, site_id)
        data = StatusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        status = services.declare_status(actor=request.user, site_id=site_id, **data.validated_data)
        return Response(StatusSerializer(status).data)
