"""REST API of planning: the same gates, selectors and services as the pages (planning/views.py).

- Pharmacists of an officine: its forecast and the transfers asked of it; sending one
  (carry_out_transfer: transfer_stock with the proposal's one-time token).
- ARS staff (their region), administrators (any region, `region`), CPTS coordinators (their
  territory, read-only): the pharmacies at risk, by département, EPCI and product.
- ARS staff and administrators: proposals (list, accept: create_shipment or a transfer asked of
  the sender; dismiss), the allocation of a regional lot by need (preview, then the confirmed
  split, `Idempotency-Key`), the what-if simulator and the publication of its draft
  (add_quota_policy).
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.permissions import ARS, PHARMACIST, HasRole
from distribution.api import QuotaPolicySerializer
from distribution.models import ShipmentSource
from gomask.api import IDEMPOTENCY_KEY_HEADER, created_or_replayed, idempotency_key
from gomask.cleaning import MAX_QUANTITY
from gomask.clock import local_date
from gomask.errors import InvalidInput, NotFound
from pharmacies.models import Product
from pharmacies.selectors import active_product, pharmacy_for_member
from planning import allocation, selectors, services
from planning.forecast import MIN_COVER_DAYS
from planning.forms import MAX_LOT, MAX_SIMULATION_WEEKS, AtRiskFilterForm
from planning.models import Proposal, StockForecast
from professionals.models import Profession
from territories.models import Region

READERS = (*ARS, Role.CPTS_COORDINATOR)


def region_of(user, given) -> str:
    """ARS staff stay in their region; an administrator names one (default: Occitanie)."""
    if user.role != Role.ADMIN:
        return user.region_id
    code = str(given or "").strip() or "76"
    if not Region.objects.filter(pk=code).exists():
        raise InvalidInput(_("Cette région n'existe pas."), code="unknown_region", field="region")
    return code


def product_field():
    return serializers.SlugRelatedField(
        slug_field="code",
        queryset=Product.objects.filter(is_active=True),
        error_messages={
            "does_not_exist": gettext_lazy("Produit inconnu : {value}."),
            "invalid": gettext_lazy("Indiquez le code d'un produit."),
        },
    )


# --- output shapes --------------------------------------------------------------------------------


class ForecastSerializer(serializers.ModelSerializer):
    pharmacy_name = serializers.CharField(source="pharmacy.name", read_only=True)
    commune = serializers.CharField(source="pharmacy.commune.name", read_only=True)
    product = serializers.CharField(source="product.code", read_only=True)
    available = serializers.IntegerField(read_only=True)

    class Meta:
        model = StockForecast
        fields = [
            "pharmacy",
            "pharmacy_name",
            "commune",
            "product",
            "computed_on",
            "on_hand",
            "reserved",
            "available",
            "recent_rate",
            "quota_ceiling",
            "daily_demand",
            "referenced",
            "days_of_cover",
            "stockout_on",
        ]
        read_only_fields = fields


class ProposalSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.code", read_only=True)
    recipient_name = serializers.CharField(source="recipient.name", read_only=True)
    sender_name = serializers.CharField(source="sender.name", read_only=True, allow_null=True, default=None)
    region = serializers.CharField(source="region_id", read_only=True)

    class Meta:
        model = Proposal
        fields = [
            "id",
            "kind",
            "status",
            "region",
            "product",
            "recipient",
            "recipient_name",
            "sender",
            "sender_name",
            "quantity",
            "distance_km",
            "computed_on",
            "decided_at",
            "shipment",
            "transfer_movement",
        ]
        read_only_fields = fields


class PharmacyForecastSerializer(serializers.Serializer):
    min_cover_days = serializers.IntegerField()
    forecasts = ForecastSerializer(many=True)
    transfers_to_send = ProposalSerializer(many=True)


class RecipientSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="pharmacy-<id> ou care_site-<id> : la clé d'une ligne à confirmer")
    kind = serializers.ChoiceField(choices=[allocation.PHARMACY, allocation.CARE_SITE])
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    commune = serializers.CharField()
    label = serializers.CharField()
    available = serializers.IntegerField(allow_null=True)
    need = serializers.IntegerField()
    proposed = serializers.IntegerField()


class AllocationPreviewSerializer(serializers.Serializer):
    region = serializers.CharField()
    product = serializers.CharField()
    quantity = serializers.IntegerField()
    days = serializers.IntegerField()
    total_need = serializers.IntegerField()
    recipients = RecipientSerializer(many=True)


class ShipmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    product = serializers.CharField(source="product.code")
    quantity = serializers.IntegerField()
    source = serializers.CharField()
    pharmacy = serializers.IntegerField(source="pharmacy_id", allow_null=True)
    care_site = serializers.IntegerField(source="care_site_id", allow_null=True)
    shipped_at = serializers.DateTimeField()


class FiguresSerializer(serializers.Serializer):
    fully = serializers.FloatField(allow_null=True, help_text="part des demandes servies en entier (%)")
    stockout_days = serializers.IntegerField()
    gini = serializers.FloatField(allow_null=True)


class SimulationRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    professionals = serializers.IntegerField()
    current = FiguresSerializer()
    draft = FiguresSerializer()


class QuotaLineSerializer(serializers.Serializer):
    profession = serializers.CharField()
    in_force = serializers.IntegerField()
    draft = serializers.IntegerField()


class SimulationSerializer(serializers.Serializer):
    region = serializers.CharField()
    product = serializers.CharField()
    weeks = serializers.ListField(child=serializers.DateField())
    quotas = QuotaLineSerializer(many=True)
    rows = SimulationRowSerializer(many=True)


# --- input shapes ---------------------------------------------------------------------------------


class AtRiskQuerySerializer(serializers.Serializer):
    region = serializers.CharField(required=False, help_text="administrateurs : code de la région")
    departement = serializers.CharField(required=False)
    epci = serializers.CharField(required=False)
    product = serializers.CharField(required=False)
    page = serializers.IntegerField(required=False)


class ProposalsQuerySerializer(serializers.Serializer):
    region = serializers.CharField(required=False, help_text="administrateurs : code de la région")


class AcceptInputSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=ShipmentSource.choices, required=False)


class AllocationQuerySerializer(serializers.Serializer):
    region = serializers.CharField(required=False, help_text="administrateurs : code de la région")
    product = product_field()
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LOT)


class AllocationInputSerializer(serializers.Serializer):
    product = product_field()
    source = serializers.ChoiceField(choices=ShipmentSource.choices)
    lines = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=MAX_QUANTITY),
        allow_empty=False,
        help_text='{"pharmacy-<id>": masques, "care_site-<id>": masques} (les clés de l\'aperçu)',
    )


def quota_fields():
    return {
        code: serializers.IntegerField(min_value=0, max_value=MAX_QUANTITY, required=False, allow_null=True)
        for code in Profession.values
    }


class DraftQuotasSerializer(serializers.Serializer):
    """Weekly quota per profession in the draft; a profession left out keeps the quota in force."""

    def get_fields(self):
        return quota_fields()


class SimulationQuerySerializer(serializers.Serializer):
    region = serializers.CharField(required=False, help_text="administrateurs : code de la région")
    product = product_field()
    weeks = serializers.IntegerField(min_value=1, max_value=MAX_SIMULATION_WEEKS, default=4)

    def get_fields(self):
        fields = super().get_fields()
        for code, field in quota_fields().items():
            fields[f"quota_{code}"] = field
        return fields


class PublishInputSerializer(serializers.Serializer):
    region = serializers.CharField(required=False, help_text="administrateurs : code de la région")
    product = product_field()
    quotas = DraftQuotasSerializer()
    effective_from = serializers.DateField(required=False, allow_null=True)


def _valid(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- pharmacists ----------------------------------------------------------------------------------


class PharmacyForecast(APIView):
    """Pharmacists of this officine: days of cover per product and the transfers asked of it."""

    permission_classes = [HasRole.of(*PHARMACIST)]

    @extend_schema(responses={200: PharmacyForecastSerializer})
    def get(self, request, pharmacy_id: int):
        pharmacy = pharmacy_for_member(request.user, pharmacy_id)
        data = {
            "min_cover_days": MIN_COVER_DAYS,
            "forecasts": selectors.pharmacy_forecasts(pharmacy),
            "transfers_to_send": selectors.proposals_to_send(pharmacy),
        }
        return Response(PharmacyForecastSerializer(data).data)


class TransferSend(APIView):
    """The sending officine's pharmacist sends a transfer the ARS accepted (transfer_stock, with
    the proposal's one-time token: a second call transfers nothing more and answers 409)."""

    permission_classes = [HasRole.of(*PHARMACIST)]

    @extend_schema(request=None, responses={200: ProposalSerializer})
    def post(self, request, pharmacy_id: int, proposal_id: int):
        pharmacy = pharmacy_for_member(request.user, pharmacy_id)
        if not Proposal.objects.filter(pk=proposal_id, sender=pharmacy).exists():
            raise NotFound(_("Proposition introuvable."), code="unknown_proposal")
        proposal = services.carry_out_transfer(actor=request.user, proposal_id=proposal_id)
        return Response(ProposalSerializer(proposal).data)


# --- ARS, administrators, CPTS (read-only) -------------------------------------------------------


class AtRisk(generics.ListAPIView):
    """Pharmacies under 7 days of cover, earliest stock-out first: ARS staff (their region),
    administrators (`region`), CPTS coordinators (their territory, read-only)."""

    permission_classes = [HasRole.of(*READERS)]
    serializer_class = ForecastSerializer

    def get_queryset(self):
        user = self.request.user
        params = self.request.query_params
        form = AtRiskFilterForm(
            {name: params.get(name, "") for name in ("region", "departement", "epci", "product")}, user=user
        )
        if not form.is_valid():
            raise ValidationError(form.errors)
        rows = selectors.forecasts_in_scope(user, region_code=form.region_code)
        return selectors.at_risk(rows, **form.filters())

    @extend_schema(parameters=[AtRiskQuerySerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ProposalList(generics.ListAPIView):
    """ARS staff and administrators: the region's rebalancing proposals not dismissed."""

    permission_classes = [HasRole.of(*ARS)]
    serializer_class = ProposalSerializer

    def get_queryset(self):
        region_code = region_of(self.request.user, self.request.query_params.get("region"))
        return selectors.region_proposals(region_code)

    @extend_schema(parameters=[ProposalsQuerySerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ProposalAccept(APIView):
    """Accept a proposal: a regional one becomes a shipment (create_shipment, `source`: origin of
    the regional stock, national by default); a transfer is asked of the sending officine."""

    permission_classes = [HasRole.of(*ARS)]

    @extend_schema(request=AcceptInputSerializer, responses={200: ProposalSerializer})
    def post(self, request, proposal_id: int):
        data = _valid(AcceptInputSerializer, request.data)
        proposal = services.accept_proposal(
            actor=request.user, proposal_id=proposal_id, source=data.get("source") or ShipmentSource.NATIONAL
        )
        return Response(ProposalSerializer(proposal).data)


class ProposalDismiss(APIView):
    """Dismiss a proposal (not yet carried out)."""

    permission_classes = [HasRole.of(*ARS)]

    @extend_schema(request=None, responses={200: ProposalSerializer})
    def post(self, request, proposal_id: int):
        proposal = services.dismiss_proposal(actor=request.user, proposal_id=proposal_id)
        return Response(ProposalSerializer(proposal).data)


class Allocation(APIView):
    """A regional lot split by need (GET: the proposed split, writes nothing); the agent's split
    confirmed (POST: one shipment per line with a positive quantity, all or none;
    `Idempotency-Key`: a repeat returns the first shipments with 200)."""

    permission_classes = [HasRole.of(*ARS)]

    @extend_schema(parameters=[AllocationQuerySerializer], responses={200: AllocationPreviewSerializer})
    def get(self, request):
        data = _valid(AllocationQuerySerializer, request.query_params)
        region_code = region_of(request.user, data.get("region"))
        recipients = allocation.propose_split(
            region_code=region_code, product=data["product"], quantity=data["quantity"]
        )
        preview = {
            "region": region_code,
            "product": data["product"].code,
            "quantity": data["quantity"],
            "days": allocation.ALLOCATION_DAYS,
            "total_need": sum(r.need for r in recipients),
            "recipients": recipients,
        }
        return Response(AllocationPreviewSerializer(preview).data)

    @extend_schema(
        request=AllocationInputSerializer,
        responses={201: ShipmentSerializer(many=True)},
        parameters=[IDEMPOTENCY_KEY_HEADER],
    )
    def post(self, request):
        data = _valid(AllocationInputSerializer, request.data)
        done = services.confirm_allocation_once(
            idempotency_key=idempotency_key(request),
            actor=request.user,
            product_code=data["product"].code,
            source=data["source"],
            lines=data["lines"],
        )
        return created_or_replayed(done, ShipmentSerializer(done.value, many=True).data)


def _simulation(*, region_code, product, weeks_count, draft) -> dict:
    weeks = selectors.simulation_weeks(local_date(), weeks_count)
    in_force = selectors.quota_table(local_date(), region_code=region_code, product_id=product.pk)
    inputs = selectors.simulation_inputs(region_code=region_code, product=product, weeks=weeks)
    return {
        "region": region_code,
        "product": product.code,
        "weeks": weeks,
        "quotas": [
            {
                "profession": code,
                "in_force": in_force[code],
                "draft": draft[code] if draft.get(code) is not None else in_force[code],
            }
            for code in Profession.values
        ],
        "rows": selectors.simulation_rows(inputs, draft=draft, in_force=in_force),
    }


class Simulator(APIView):
    """The draft (`quota_<profession>`, empty: the quota in force) applied to the last `weeks`
    whole weeks, per EPCI, next to the policy in force. Writes nothing."""

    permission_classes = [HasRole.of(*ARS)]

    @extend_schema(parameters=[SimulationQuerySerializer], responses={200: SimulationSerializer})
    def get(self, request):
        data = _valid(SimulationQuerySerializer, request.query_params)
        draft = {code: data.get(f"quota_{code}") for code in Profession.values}
        result = _simulation(
            region_code=region_of(request.user, data.get("region")),
            product=data["product"],
            weeks_count=data["weeks"],
            draft=draft,
        )
        return Response(SimulationSerializer(result).data)


class SimulatorPublish(APIView):
    """Publish the draft through the versioned quota policies (add_quota_policy): one version per
    profession whose quota differs from the one in force (none: 400 `nothing_to_publish`)."""

    permission_classes = [HasRole.of(*ARS)]

    @extend_schema(
        request=PublishInputSerializer,
        responses={201: QuotaPolicySerializer(many=True)},
    )
    def post(self, request):
        data = _valid(PublishInputSerializer, request.data)
        region_code = region_of(request.user, data.get("region"))
        product = active_product(data["product"].code)
        draft = {code: data["quotas"].get(code) for code in Profession.values}
        in_force = selectors.quota_table(local_date(), region_code=region_code, product_id=product.pk)
        policies = services.publish_policy(
            actor=request.user,
            product_code=product.code,
            quantities=draft,
            in_force=in_force,
            effective_from=data.get("effective_from") or local_date(),
            region_code=region_code,
        )
        return Response(QuotaPolicySerializer(policies, many=True).data, status=201)
