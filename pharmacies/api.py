"""Stock API: the same services as the pharmacist's pages, errors as JSON {code, message}.

Pharmacists act only for their own officines (someone else's id -> 403). POSTs that record a
movement accept an `Idempotency-Key` header (gomask.idempotency): a retried request with the same
key records nothing more and gets the first result back (200 instead of 201); the same key with
another body is refused (409, `idempotency_key_reused`).
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.permissions import HasRole
from gomask.api import IDEMPOTENCY_KEY_HEADER, created_or_replayed, idempotency_key
from gomask.errors import InvalidInput
from pharmacies import selectors, services
from pharmacies.serializers import (
    ArrivalInputSerializer,
    AvailabilityQuerySerializer,
    AvailabilityRowSerializer,
    CorrectionInputSerializer,
    ErrorSerializer,
    InventoryCountInputSerializer,
    LossInputSerializer,
    MovementSerializer,
    PharmacySerializer,
    SoldOutInputSerializer,
    SoldOutSerializer,
    StockRowSerializer,
    TransferInputSerializer,
)
from territories.forms import CommuneField

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Données invalides"),
    403: OpenApiResponse(ErrorSerializer, description="Pas votre officine, ou autre type de compte"),
    404: OpenApiResponse(ErrorSerializer, description="Introuvable"),
    409: OpenApiResponse(ErrorSerializer, description="Stock insuffisant, déjà envoyé, déjà corrigé"),
}
PHARMACIST_ONLY = [HasRole.of(Role.PHARMACIST)]


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class MyPharmaciesView(ListAPIView):
    """Pharmacists: the officines they act for."""

    permission_classes = PHARMACIST_ONLY
    serializer_class = PharmacySerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.pharmacies_of(self.request.user).order_by("name")


class StockView(APIView):
    """Pharmacists of this officine: current stock per product."""

    permission_classes = PHARMACIST_ONLY

    @extend_schema(responses={200: StockRowSerializer(many=True), **ERRORS})
    def get(self, request, pharmacy_id: int):
        pharmacy = selectors.pharmacy_for_member(request.user, pharmacy_id)
        return Response(StockRowSerializer(selectors.stock_overview(pharmacy), many=True).data)


class LedgerView(ListAPIView):
    """Pharmacists of this officine: stock movements, newest first (paginated; ?product=)."""

    permission_classes = PHARMACIST_ONLY
    serializer_class = MovementSerializer

    @extend_schema(
        parameters=[OpenApiParameter("product", str, required=False)], responses={200: MovementSerializer}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        pharmacy = selectors.pharmacy_for_member(self.request.user, self.kwargs["pharmacy_id"])
        return selectors.ledger(pharmacy, product_code=self.request.query_params.get("product") or None)


class ArrivalView(APIView):
    """Pharmacists of this officine: declare an arrival (masks or boxes) with its source."""

    permission_classes = PHARMACIST_ONLY

    @extend_schema(
        request=ArrivalInputSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={201: MovementSerializer, **ERRORS},
    )
    def post(self, request, pharmacy_id: int):
        data = _valid(ArrivalInputSerializer, request.data)
        done = services.declare_arrival.once(
            idempotency_key=idempotency_key(request),
            actor=request.user,
            pharmacy_id=pharmacy_id,
            product_code=data["product"],
            quantity=data["quantity"],
            unit=data["unit"],
            source=data["source"],
            note=data["note"],
        )
        return created_or_replayed(done, MovementSerializer(done.value).data)


class InventoryCountView(APIView):
    """Pharmacists of this officine: declare an inventory count (the difference is recorded)."""

    permission_classes = PHARMACIST_ONLY

    @extend_schema(
        request=InventoryCountInputSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={201: MovementSerializer, **ERRORS},
    )
    def post(self, request, pharmacy_id: int):
        data = _valid(InventoryCountInputSerializer, request.data)
        done = services.declare_inventory_count.once(
            idempotency_key=idempotency_key(request),
            actor=request.user,
            pharmacy_id=pharmacy_id,
            product_code=data["product"],
            counted=data["counted"],
        )
        return created_or_replayed(done, MovementSerializer(done.value).data)


class LossView(APIView):
    """Pharmacists of this officine: declare lost or damaged masks, with the reason."""

    permission_classes = PHARMACIST_ONLY

    @extend_schema(
        request=LossInputSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={201: MovementSerializer, **ERRORS},
    )
    def post(self, request, pharmacy_id: int):
        data = _valid(LossInputSerializer, request.data)
        done = services.declare_loss.once(
            idempotency_key=idempotency_key(request),
            actor=request.user,
            pharmacy_id=pharmacy_id,
            product_code=data["product"],
            quantity=data["quantity"],
            reason=data["reason"],
        )
        return created_or_replayed(done, MovementSerializer(done.value).data)


class TransferView(APIView):
    """Pharmacists of this officine: send masks to another officine (two ledger rows)."""

    permission_classes = PHARMACIST_ONLY

    @extend_schema(
        request=TransferInputSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={201: MovementSerializer(many=True), **ERRORS},
    )
    def post(self, request, pharmacy_id: int):
        data = _valid(TransferInputSerializer, request.data)
        done = services.transfer_stock.once(
            idempotency_key=idempotency_key(request),
            actor=request.user,
            from_pharmacy_id=pharmacy_id,
            to_pharmacy_id=data["to_pharmacy"],
            product_code=data["product"],
            quantity=data["quantity"],
        )
        return created_or_replayed(done, MovementSerializer(done.value, many=True).data)


class CorrectionView(APIView):
    """Pharmacists of this officine: correct an arrival, count or loss once (compensating movement)."""

    permission_classes = PHARMACIST_ONLY

    @extend_schema(request=CorrectionInputSerializer, responses={201: MovementSerializer, **ERRORS})
    def post(self, request, pharmacy_id: int, movement_id: int):
        data = _valid(CorrectionInputSerializer, request.data)
        selectors.pharmacy_movement(selectors.pharmacy_for_member(request.user, pharmacy_id), movement_id)
        movement = services.correct_movement(
            actor=request.user, movement_id=movement_id, reason=data["reason"]
        )
        return Response(MovementSerializer(movement).data, status=status.HTTP_201_CREATED)


class SoldOutView(APIView):
    """Pharmacists of this officine: mark a product sold out ("épuisé" in searches)."""

    permission_classes = PHARMACIST_ONLY

    @extend_schema(request=SoldOutInputSerializer, responses={200: SoldOutSerializer, **ERRORS})
    def post(self, request, pharmacy_id: int):
        data = _valid(SoldOutInputSerializer, request.data)
        level = services.mark_sold_out(
            actor=request.user, pharmacy_id=pharmacy_id, product_code=data["product"]
        )
        return Response(SoldOutSerializer(level).data)


class AvailabilityView(APIView):
    """Approved professionals and pharmacists: officines with stock near a point, nearest first.

    The point is `latitude`+`longitude`, or a `commune`; a professional who gives neither
    searches around their practice. Levels are indicative bands, never exact counts.
    """

    permission_classes = [HasRole.of(Role.PROFESSIONAL, Role.PHARMACIST)]

    @extend_schema(
        parameters=[AvailabilityQuerySerializer],
        responses={200: AvailabilityRowSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        query = _valid(AvailabilityQuerySerializer, request.query_params)
        services.active_product(query["product"])
        latitude, longitude = self._origin(request, query)
        rows = selectors.nearest_pharmacies_with_stock(
            latitude=latitude,
            longitude=longitude,
            product_code=query["product"],
            radius_km=int(query["radius"]),
            limit=query["limit"],
        )
        return Response(AvailabilityRowSerializer(rows, many=True).data)

    def _origin(self, request, query) -> tuple[float, float]:
        if "latitude" in query and "longitude" in query:
            return query["latitude"], query["longitude"]
        if query.get("commune"):
            try:
                commune = CommuneField().clean(query["commune"])
            except ValidationError as exc:
                raise InvalidInput(" ".join(exc.messages), code="invalid_commune", field="commune") from exc
            return commune.latitude, commune.longitude
        professional = getattr(request.user, "professional", None)  # its reverse one-to-one
        if professional is not None:
            return professional.latitude, professional.longitude
        raise InvalidInput(
            _("Indiquez une commune, ou une latitude et une longitude."),
            code="origin_required",
            field="commune",
        )
