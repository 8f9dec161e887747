"""REST API of the distribution app; the same services as the pages.

POSTs that create an option or a handover accept an `Idempotency-Key` header (one contract for
every write, gomask.idempotency): a retry with the same key returns the first result (200 instead
of 201, same id) and counts once; the same key with a different body is refused (409, code
`idempotency_key_reused`).
"""

from django.utils.text import capfirst
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.permissions import ARS, PHARMACIST, PROFESSIONAL, HasRole
from distribution import selectors, services
from distribution.forms import QUANTITY_ERRORS
from distribution.models import MAX_QUANTITY, Dispensation, QuotaPolicy, Reservation, ReservationStatus
from gomask.api import IDEMPOTENCY_KEY_HEADER, created_or_replayed, idempotency_key
from gomask.errors import NotAllowed
from pharmacies.selectors import pharmacies_of
from professionals.models import Profession


def quantity_field(minimum=1):
    return serializers.IntegerField(min_value=minimum, max_value=MAX_QUANTITY, error_messages=QUANTITY_ERRORS)


class ReservationSerializer(serializers.ModelSerializer):
    pharmacy_name = serializers.CharField(source="pharmacy.name", read_only=True)
    product = serializers.CharField(source="product.code", read_only=True)
    # Past its expiry an option reads "expired" at once, before the sweep closes it.
    status = serializers.ChoiceField(
        source="current_status", choices=ReservationStatus.choices, read_only=True
    )

    class Meta:
        model = Reservation
        fields = [
            "id",
            "pharmacy",
            "pharmacy_name",
            "product",
            "quantity",
            "status",
            "period_start",
            "created_at",
            "expires_at",
            "closed_at",
        ]
        read_only_fields = fields


class ReservationInputSerializer(serializers.Serializer):
    pharmacy = serializers.IntegerField(min_value=1)
    product = serializers.CharField(max_length=30)
    quantity = quantity_field()


def _label(model, name):
    return capfirst(model._meta.get_field(name).verbose_name)


# A handover as the API shows it: read-only, the same fields (and schema) as a ModelSerializer of
# Dispensation, declared explicitly because a ModelSerializer rebuilds its fields from the model
# on every instance (a quarter of a millisecond of each POST /api/dispensations/). No docstring:
# it would become the schema component's description.
class DispensationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    pharmacy = serializers.IntegerField(source="pharmacy_id", read_only=True)
    pharmacy_name = serializers.CharField(source="pharmacy.name", read_only=True)
    professional = serializers.IntegerField(source="professional_id", read_only=True)
    product = serializers.CharField(source="product.code", read_only=True)
    quantity = serializers.IntegerField(read_only=True, label=_label(Dispensation, "quantity"))
    policy = serializers.IntegerField(
        source="policy_id", read_only=True, label=_label(Dispensation, "policy")
    )
    period_start = serializers.DateField(read_only=True, label=_label(Dispensation, "period_start"))
    reservation = serializers.IntegerField(source="reservation_id", read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True, label=_label(Dispensation, "created_at"))


class DispensationInputSerializer(serializers.Serializer):
    pharmacy = serializers.IntegerField(min_value=1)
    professional = serializers.IntegerField(min_value=1)
    product = serializers.CharField(max_length=30)
    quantity = quantity_field()
    identity_checked = serializers.BooleanField()


class QuotaPolicySerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.code", read_only=True)
    region = serializers.CharField(source="region_id", read_only=True, allow_null=True)

    class Meta:
        model = QuotaPolicy
        fields = [
            "id",
            "profession",
            "product",
            "period",
            "quantity",
            "effective_from",
            "region",
            "note",
            "created_at",
        ]
        read_only_fields = fields


class QuotaPolicyInputSerializer(serializers.Serializer):
    profession = serializers.ChoiceField(choices=Profession.choices)
    product = serializers.CharField(max_length=30)
    quantity = quantity_field(minimum=0)
    effective_from = serializers.DateField()
    region = serializers.CharField(max_length=3, required=False, allow_blank=True, allow_null=True)
    note = serializers.CharField(max_length=255, required=False, allow_blank=True)


class QuotaStatusSerializer(serializers.Serializer):
    product = serializers.CharField(source="product.code")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    policy = serializers.IntegerField(source="policy.pk", allow_null=True, default=None)
    quota = serializers.IntegerField()
    received = serializers.IntegerField()
    held = serializers.IntegerField()
    remaining = serializers.IntegerField()


class ReservationListCreate(generics.ListAPIView):
    """Professionals: list my options (GET); put an option (POST, Idempotency-Key header)."""

    permission_classes = [HasRole.of(*PROFESSIONAL)]
    serializer_class = ReservationSerializer

    def get_queryset(self):
        professional = getattr(self.request.user, "professional", None)
        if professional is None:
            return Reservation.objects.none()
        return selectors.reservations_of(professional)

    @extend_schema(
        request=ReservationInputSerializer,
        responses={201: ReservationSerializer},
        parameters=[IDEMPOTENCY_KEY_HEADER],
    )
    def post(self, request):
        data = ReservationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done = services.reserve.once(
            idempotency_key=idempotency_key(request),
            actor=request.user,
            pharmacy_id=data.validated_data["pharmacy"],
            product_code=data.validated_data["product"],
            quantity=data.validated_data["quantity"],
        )
        return created_or_replayed(done, ReservationSerializer(done.value).data)


class ReservationCancel(APIView):
    """Professionals: cancel one of my active options."""

    permission_classes = [HasRole.of(*PROFESSIONAL)]

    @extend_schema(request=None, responses={200: ReservationSerializer})
    def post(self, request, reservation_id: int):
        reservation = services.cancel_reservation(actor=request.user, reservation_id=reservation_id)
        return Response(ReservationSerializer(reservation).data)


class DispensationListCreate(generics.ListAPIView):
    """Pharmacists: handovers at my pharmacies (GET); record a handover (POST, Idempotency-Key)."""

    permission_classes = [HasRole.of(*PHARMACIST)]
    serializer_class = DispensationSerializer

    def get_queryset(self):
        return Dispensation.objects.filter(pharmacy__in=pharmacies_of(self.request.user)).select_related(
            "pharmacy", "product"
        )

    @extend_schema(
        request=DispensationInputSerializer,
        responses={201: DispensationSerializer},
        parameters=[IDEMPOTENCY_KEY_HEADER],
    )
    def post(self, request):
        data = DispensationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done = services.dispense.once(
            idempotency_key=idempotency_key(request),
            actor=request.user,
            pharmacy_id=data.validated_data["pharmacy"],
            professional_id=data.validated_data["professional"],
            product_code=data.validated_data["product"],
            quantity=data.validated_data["quantity"],
            identity_checked=data.validated_data["identity_checked"],
        )
        return created_or_replayed(done, DispensationSerializer(done.value).data)


class MyQuota(APIView):
    """Professionals: my remaining quota this week and my handovers (every pharmacy)."""

    permission_classes = [HasRole.of(*PROFESSIONAL)]

    @extend_schema(responses={200: QuotaStatusSerializer(many=True)})
    def get(self, request):
        professional = getattr(request.user, "professional", None)
        if professional is None:
            raise NotAllowed(_("Votre compte n'est relié à aucun professionnel de santé."))
        history = selectors.dispensations_of(professional)[:100]
        return Response(
            {
                "quotas": QuotaStatusSerializer(selectors.quota_overview(professional), many=True).data,
                "dispensations": DispensationSerializer(history, many=True).data,
            }
        )


class QuotaPolicyListCreate(generics.ListAPIView):
    """Any signed-in user reads the quota versions (ARS staff: national and their region's);
    ARS staff create a version for their region, administrators for any region or nationally."""

    serializer_class = QuotaPolicySerializer

    def get_queryset(self):
        user = self.request.user
        if user.role in (Role.ARS_STAFF, Role.CPTS_COORDINATOR) and user.region_id:
            return selectors.policies_visible_to(user)
        if user.role == Role.ADMIN:
            return selectors.policies_visible_to(user)
        return QuotaPolicy.objects.select_related("product").order_by("profession", "-effective_from", "-id")

    @extend_schema(request=QuotaPolicyInputSerializer, responses={201: QuotaPolicySerializer})
    def post(self, request):
        if not HasRole.of(*ARS)().has_permission(request, self):
            raise NotAllowed(_("Seuls l'ARS et les administrateurs modifient les quotas."))
        data = QuotaPolicyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        policy = services.add_quota_policy(
            actor=request.user,
            profession=data.validated_data["profession"],
            product_code=data.validated_data["product"],
            quantity=data.validated_data["quantity"],
            effective_from=data.validated_data["effective_from"],
            region_code=data.validated_data.get("region") or None,
            note=data.validated_data.get("note", ""),
        )
        return Response(QuotaPolicySerializer(policy).data, status=status.HTTP_201_CREATED)
