"""Planning actions: the nightly refresh, deciding on proposals, confirming an allocation,
publishing a simulated policy. Every stock or shipment change goes through the existing
services (pharmacies.services.transfer_stock, distribution.services.create_shipment,
distribution.services.add_quota_policy), with their checks, locks and idempotency."""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.permissions import PHARMACIST, ensure_region_scope, user_may_act_as
from distribution import services as distribution
from distribution.models import CareSite, Shipment, ShipmentSource
from gomask.cleaning import clean_quantity, parse_id
from gomask.clock import local_date
from gomask.errors import Conflict, InvalidInput, NotAllowed, NotFound
from gomask.idempotency import Done, once
from gomask.locks import advisory_lock, retry_on_contention
from pharmacies import services as pharmacies
from pharmacies.models import Pharmacy, Product
from pharmacies.selectors import active_product
from planning.allocation import CARE_SITE, PHARMACY
from planning.forecast import compute_forecast
from planning.models import Proposal, ProposalKind, ProposalStatus
from planning.proposals import draft_proposals
from professionals.models import Profession


def _ars(actor) -> None:
    if not (
        actor and actor.is_authenticated and actor.role in (Role.ARS_STAFF, Role.ADMIN) and actor.is_approved
    ):
        raise NotAllowed(_("Seuls l'ARS et les administrateurs décident de la répartition."))


# --- nightly refresh -----------------------------------------------------------------------------


@transaction.atomic
def refresh_forecast(*, today: date | None = None) -> dict[str, int]:
    """Recompute the forecast of every pharmacy x product, then the proposals of every region:
    the proposals not yet decided are replaced; accepted and carried-out ones stay."""
    today = today or local_date()
    advisory_lock("planning-forecast")
    rows = compute_forecast(today=today)
    Proposal.objects.filter(status=ProposalStatus.PROPOSED).delete()
    regions = Pharmacy.objects.filter(is_active=True).values_list("region_id", flat=True).distinct()
    drafts = []
    for region_code in sorted(set(regions)):
        for product_id in Product.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True):
            for draft in draft_proposals(region_code=region_code, product_id=product_id):
                drafts.append(
                    Proposal(
                        kind=draft.kind,
                        region_id=region_code,
                        product_id=draft.product_id,
                        recipient_id=draft.recipient_id,
                        sender_id=draft.sender_id,
                        quantity=min(draft.quantity, 100_000),
                        distance_km=draft.distance_km,
                        computed_on=today,
                    )
                )
    Proposal.objects.bulk_create(drafts, batch_size=1000)
    return {"forecasts": rows, "proposals": len(drafts)}


# --- proposals -----------------------------------------------------------------------------------


def _locked_proposal(proposal_id) -> Proposal:
    proposal = (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("product")
        .filter(pk=parse_id(proposal_id))
        .first()
    )
    if proposal is None:
        raise NotFound(_("Proposition introuvable."), code="unknown_proposal")
    return proposal


def _already_decided() -> Conflict:
    return Conflict(_("Cette proposition a déjà été traitée."), code="proposal_already_decided")


@retry_on_contention
@transaction.atomic
def accept_proposal(*, actor, proposal_id, source=ShipmentSource.NATIONAL, now=None) -> Proposal:
    """ARS staff of the region accept a proposal. A regional one becomes a shipment at once
    (create_shipment); a transfer is then asked of the sending pharmacy, whose pharmacist
    carries it out (only a member of a pharmacy moves its stock)."""
    _ars(actor)
    proposal = _locked_proposal(proposal_id)
    ensure_region_scope(actor, proposal.region_id)
    if proposal.status != ProposalStatus.PROPOSED:
        raise _already_decided()
    proposal.decided_by, proposal.decided_at = actor, now or timezone.now()
    if proposal.kind == ProposalKind.REGIONAL:
        proposal.shipment = distribution.create_shipment(
            actor=actor,
            product_code=proposal.product.code,
            quantity=proposal.quantity,
            source=source,
            pharmacy_id=proposal.recipient_id,
            note=_("Proposition de rééquilibrage n° %(id)s") % {"id": proposal.pk},
        )
        proposal.status = ProposalStatus.DONE
    else:
        proposal.status = ProposalStatus.ACCEPTED
    proposal.save()
    return proposal


@transaction.atomic
def dismiss_proposal(*, actor, proposal_id, now=None) -> Proposal:
    _ars(actor)
    proposal = _locked_proposal(proposal_id)
    ensure_region_scope(actor, proposal.region_id)
    if proposal.status not in (ProposalStatus.PROPOSED, ProposalStatus.ACCEPTED):
        raise _already_decided()
    proposal.status = ProposalStatus.DISMISSED
    proposal.decided_by, proposal.decided_at = actor, now or timezone.now()
    proposal.save(update_fields=["status", "decided_by", "decided_at"])
    return proposal


@retry_on_contention
@transaction.atomic
def carry_out_transfer(*, actor, proposal_id) -> Proposal:
    """The sending pharmacy's pharmacist sends an accepted transfer: transfer_stock, with the
    proposal's one-time token, so a second click transfers nothing more."""
    if not user_may_act_as(actor, PHARMACIST):
        raise NotAllowed(_("Seul un pharmacien de l'officine expéditrice envoie ce transfert."))
    proposal = _locked_proposal(proposal_id)
    if proposal.kind != ProposalKind.TRANSFER:
        raise NotFound(_("Proposition introuvable."), code="unknown_proposal")
    if proposal.status != ProposalStatus.ACCEPTED:
        raise _already_decided()
    outgoing, _incoming = pharmacies.transfer_stock.once(
        idempotency_key=str(proposal.token),
        actor=actor,
        from_pharmacy_id=proposal.sender_id,
        to_pharmacy_id=proposal.recipient_id,
        product_code=proposal.product.code,
        quantity=proposal.quantity,
    ).value
    proposal.status = ProposalStatus.DONE
    proposal.carried_out_by = actor
    proposal.transfer_movement = outgoing
    proposal.save(update_fields=["status", "carried_out_by", "transfer_movement"])
    return proposal


# --- allocation by need --------------------------------------------------------------------------


SPACES = str.maketrans("", "", " \u00a0\u202f")


def _typed_quantity(value) -> int:
    """A quantity as people type it ("1 000", with ordinary or non-breaking spaces)."""
    return clean_quantity(str(value if value is not None else "").translate(SPACES), allow_zero=True)


def _parse_line(key: str) -> tuple[str, int]:
    kind, _sep, pk = str(key).rpartition("-")
    pk = parse_id(pk)
    if kind not in (PHARMACY, CARE_SITE) or pk is None:
        raise InvalidInput(_("Destinataire inconnu."), code="unknown_destination")
    return kind, pk


@retry_on_contention
@transaction.atomic
def confirm_allocation(*, actor, product_code, source, lines: dict[str, object], form_token=None) -> list:
    """The agent's split of a regional lot, confirmed: one shipment per destination with a
    positive quantity, all or none (create_shipment checks each destination's region)."""
    _ars(actor)
    active_product(product_code)
    if source not in ShipmentSource.values:
        raise InvalidInput(_("Origine du stock inconnue."), code="invalid_source", field="source")
    parts = []
    for key, value in sorted(lines.items()):
        kind, pk = _parse_line(key)
        quantity = _typed_quantity(value)
        if quantity:
            parts.append((kind, pk, quantity))
    if not parts:
        raise InvalidInput(_("Indiquez au moins une quantité à envoyer."), code="empty_allocation")
    pharmacies.claim_form_token(form_token, actor=actor)
    shipments = []
    for kind, pk, quantity in parts:
        if kind == CARE_SITE and not CareSite.objects.filter(pk=pk, is_active=True).exists():
            raise NotFound(_("Destination introuvable."), code="unknown_destination")
        shipments.append(
            distribution.create_shipment(
                actor=actor,
                product_code=product_code,
                quantity=quantity,
                source=source,
                pharmacy_id=pk if kind == PHARMACY else None,
                care_site_id=pk if kind == CARE_SITE else None,
                note=_("Répartition selon les besoins"),
            )
        )
    return shipments


# --- simulator: publishing ------------------------------------------------------------------------


@transaction.atomic
def publish_policy(
    *,
    actor,
    product_code,
    quantities: dict[str, int],
    in_force: dict[str, int],
    effective_from: date,
    region_code: str,
) -> list:
    """Publish, through the versioned policies (add_quota_policy), the professions whose draft
    quantity differs from the one in force. Nothing changed: refused."""
    _ars(actor)
    changed = {
        profession: quantity
        for profession, quantity in quantities.items()
        if profession in Profession.values and quantity is not None and quantity != in_force.get(profession)
    }
    if not changed:
        raise InvalidInput(_("Le projet ne change aucun quota : rien à publier."), code="nothing_to_publish")
    return [
        distribution.add_quota_policy(
            actor=actor,
            profession=profession,
            product_code=product_code,
            quantity=quantity,
            effective_from=effective_from,
            region_code=region_code,
            note=_("Publié depuis le simulateur"),
        )
        for profession, quantity in sorted(changed.items())
    ]


def confirm_allocation_once(
    *, idempotency_key, actor, product_code, source, lines: dict[str, object]
) -> Done:
    """confirm_allocation under the kernel's idempotency contract (the API's `Idempotency-Key`):
    a repeat with the same key and lines creates nothing and gets the first shipments back."""
    requested = {key: _typed_quantity(value) for key, value in lines.items()}

    def load(first_pk: int) -> list:
        # The shipments this key created: the first one and, after it, one per requested
        # destination (same actor, product, destination and quantity), in the order created.
        candidates = (
            Shipment.objects.filter(pk__gte=first_pk, created_by=actor, product__code=product_code)
            .select_related("product")
            .order_by("pk")
        )
        wanted = {_parse_line(key): quantity for key, quantity in requested.items() if quantity}
        found = []
        for shipment in candidates:
            destination = (
                (PHARMACY, shipment.pharmacy_id)
                if shipment.pharmacy_id
                else (
                    CARE_SITE,
                    shipment.care_site_id,
                )
            )
            if wanted.get(destination) == shipment.quantity:
                found.append(shipment)
                del wanted[destination]
                if not wanted:
                    break
        return found

    return once(
        actor=actor,
        scope="planning-allocation",
        key=idempotency_key,
        request={"product": product_code, "source": source, **{f"line:{k}": v for k, v in requested.items()}},
        perform=lambda: confirm_allocation(
            actor=actor, product_code=product_code, source=source, lines=lines
        ),
        load=load,
        ref=lambda shipments: min(shipment.pk for shipment in shipments),
    )
