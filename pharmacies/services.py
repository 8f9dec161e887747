from datetime import timedelta

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.hooks import announce_approval
from accounts.models import AccountStatus
from accounts.permissions import is_admin
from gomask.cleaning import clean_quantity
from gomask.errors import Conflict, InvalidInput, NotAllowed, NotFound
from gomask.idempotency import AlreadySubmitted, claim_form_token, idempotent  # noqa: F401 (planning)
from gomask.identifiers import validate_finess
from gomask.locks import retry_on_contention
from gomask.phones import clean_phone
from pharmacies.hooks import announce_arrival
from pharmacies.models import (
    ArrivalSource,
    MembershipStatus,
    MovementKind,
    Pharmacy,
    PharmacyMembership,
    PositionPrecision,
    StockLevel,
    StockMovement,
)
from pharmacies.selectors import active_product, is_owner, pharmacist_pharmacy
from pharmacies.stock import lock_level, lock_levels, record_movement
from pharmacies.wording import masks
from territories.geocoding import geocode_address


def _clean_finess(finess: str) -> str:
    from django.core.exceptions import ValidationError

    try:
        return validate_finess(finess)
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0], code="invalid_finess", field="finess") from exc


def create_pharmacy(
    *,
    finess: str,
    name: str,
    address: str,
    commune,
    phone: str = "",
    email: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
) -> Pharmacy:
    """Register an officine; its position comes from the address (or the commune)."""
    finess = _clean_finess(finess)
    phone = clean_phone(phone)
    if Pharmacy.objects.filter(finess=finess).exists():
        raise InvalidInput(
            _("Une officine est déjà enregistrée avec le numéro FINESS %(finess)s.") % {"finess": finess},
            code="duplicate_finess",
            field="finess",
        )
    if latitude is None or longitude is None:
        position = geocode_address(street=address, commune=commune)
        latitude, longitude = position.latitude, position.longitude
        precision = (
            PositionPrecision.ADDRESS if position.precision == "address" else PositionPrecision.COMMUNE
        )
    else:
        precision = PositionPrecision.ADDRESS
    return Pharmacy.objects.create(
        finess=finess,
        name=name.strip(),
        address=address.strip(),
        commune=commune,
        departement_id=commune.departement_id,
        region_id=commune.region_id,
        latitude=latitude,
        longitude=longitude,
        position_precision=precision,
        phone=phone,
        email=email,
    )


def registered_pharmacy(finess: str) -> Pharmacy:
    """The officine with this FINESS number, or a clear refusal."""
    finess = _clean_finess(finess)
    try:
        return Pharmacy.objects.get(finess=finess)
    except Pharmacy.DoesNotExist as exc:
        raise InvalidInput(
            _("Aucune officine n'est enregistrée avec le numéro FINESS %(finess)s.") % {"finess": finess},
            code="unknown_finess",
            field="finess",
        ) from exc


def request_membership(*, user, finess: str, is_owner: bool = False) -> PharmacyMembership:
    """A pharmacist asks to act for the officine `finess`; an owner or admin approves."""
    pharmacy = registered_pharmacy(finess)
    membership, _created = PharmacyMembership.objects.get_or_create(
        user=user, pharmacy=pharmacy, defaults={"is_owner": is_owner}
    )
    return membership


@transaction.atomic
def approve_membership(*, approver, membership_id: int) -> PharmacyMembership:
    """An administrator, or the officine's titulaire, lets a pharmacist act for it.

    Approving the membership also validates a pending pharmacist account.
    """
    membership = (
        PharmacyMembership.objects.select_for_update()
        .select_related("pharmacy", "user")
        .filter(pk=membership_id)
        .first()
    )
    if membership is None:
        raise InvalidInput(_("Demande introuvable."), code="not_found")
    if not is_admin(approver) and not is_owner(approver, membership.pharmacy):
        raise NotAllowed(_("Seul le titulaire de l'officine ou un administrateur peut valider ce compte."))
    now = timezone.now()
    membership.status = MembershipStatus.ACTIVE
    membership.approved_by = approver
    membership.approved_at = now
    membership.save(update_fields=["status", "approved_by", "approved_at"])
    user = membership.user
    if user.status == AccountStatus.PENDING:
        user.status = AccountStatus.ACTIVE
        user.approved_by = approver
        user.approved_at = now
        user.save(update_fields=["status", "approved_by", "approved_at"])
        announce_approval(user)
    return membership


# --- Stock declarations ----------------------------------------------------------------------
# Every change goes through pharmacies.stock (lock_levels + record_movement) in one transaction.


class Unit(models.TextChoices):
    MASK = "mask", gettext_lazy("masques")
    BOX = "box", gettext_lazy("boîtes")


class PossibleDuplicate(Conflict):
    """An arrival identical to one the same person declared minutes ago: asked to confirm."""

    code = "possible_duplicate"


# An identical arrival by the same person within this delay is most likely the same delivery
# entered twice (Back, then the form sent again): it is recorded only once confirmed.
DUPLICATE_ARRIVAL_WINDOW = timedelta(minutes=10)


# Kinds a pharmacist may correct: the others belong to a reservation, a handover or
# another pharmacy's ledger, and are undone by their own service.
CORRECTABLE_KINDS = {MovementKind.ARRIVAL, MovementKind.INVENTORY_COUNT, MovementKind.ADJUSTMENT}


def _member_pharmacy(actor, pharmacy_id) -> Pharmacy:
    """The pharmacy if `actor` is an approved pharmacist and an active member of it."""
    return pharmacist_pharmacy(
        actor,
        pharmacy_id,
        _("Seul un pharmacien validé peut déclarer du stock."),
        code="not_a_pharmacist",
    )


def _movement(pk: int) -> StockMovement:
    return StockMovement.objects.select_related("product", "pharmacy", "counterpart").get(pk=pk)


def _transfer(pk: int) -> tuple[StockMovement, StockMovement]:
    """A transfer's two movements from its outgoing one (the incoming one is written just after)."""
    outgoing = _movement(pk)
    incoming = (
        StockMovement.objects.select_related("product", "pharmacy", "counterpart")
        .filter(
            kind=MovementKind.TRANSFER_IN,
            pharmacy_id=outgoing.counterpart_id,
            counterpart_id=outgoing.pharmacy_id,
            product_id=outgoing.product_id,
            actor_id=outgoing.actor_id,
            pk__gt=outgoing.pk,
        )
        .order_by("pk")
        .first()
    )
    return outgoing, incoming


@idempotent("stock-arrival", load=_movement)
@retry_on_contention
@transaction.atomic
def declare_arrival(
    *,
    actor,
    pharmacy_id,
    product_code,
    quantity,
    unit=Unit.MASK,
    source,
    note="",
    confirm_duplicate=True,
) -> StockMovement:
    """Masks received by the pharmacy (entered in masks or in boxes), with their source.

    With `confirm_duplicate=False` (the pharmacist's form, until its confirmation box is ticked),
    an arrival identical (product, masks, source) to one the same person recorded in the last
    DUPLICATE_ARRIVAL_WINDOW is refused with PossibleDuplicate: a person pressing Back and sending
    the form again. A form's or a program's retry is recognised by its idempotency key (`.once`).
    """
    pharmacy = _member_pharmacy(actor, pharmacy_id)
    product = active_product(product_code)
    if unit not in Unit.values:
        raise InvalidInput(_("Unité inconnue : masques ou boîtes."), code="invalid_unit", field="unit")
    masks_count = clean_quantity(quantity)
    if unit == Unit.BOX:
        masks_count = clean_quantity(masks_count * product.box_size)
    if source not in ArrivalSource.values:
        raise InvalidInput(_("Provenance inconnue."), code="invalid_source", field="source")
    level = lock_level(pharmacy_id=pharmacy.pk, product_id=product.pk)
    # Checked under the level's lock, so two identical submissions at once queue here too.
    if not confirm_duplicate:
        _refuse_unconfirmed_duplicate(actor=actor, level=level, masks_count=masks_count, source=source)
    movement = record_movement(
        level=level,
        kind=MovementKind.ARRIVAL,
        on_hand_delta=masks_count,
        source=source,
        reason=str(note or "").strip()[:255],
        actor=actor,
    )
    # The referenced professionals' notifications (outbox rows) in this same transaction:
    # notifications registers its receiver in pharmacies.hooks (see NotificationsConfig.ready).
    announce_arrival(movement)
    return movement


def _refuse_unconfirmed_duplicate(*, actor, level, masks_count: int, source: str) -> None:
    since = timezone.now() - DUPLICATE_ARRIVAL_WINDOW
    previous = (
        StockMovement.objects.filter(
            level=level,
            kind=MovementKind.ARRIVAL,
            on_hand_delta=masks_count,
            source=source,
            actor=actor,
            created_at__gte=since,
            corrections__isnull=True,
        )
        .order_by("-created_at")
        .first()
    )
    if previous is not None:
        raise PossibleDuplicate(
            _(
                "Vous avez déjà enregistré une arrivée identique à %(time)s (%(masks)s, %(source)s). "
                "S'il s'agit bien d'une seconde livraison, cochez la confirmation et envoyez à nouveau."
            )
            % {
                "time": timezone.localtime(previous.created_at).strftime("%H:%M"),
                "masks": masks(masks_count, level.product),
                "source": ArrivalSource(source).label,
            },
            field="confirm_duplicate",
        )


@idempotent("stock-count", load=_movement)
@retry_on_contention
@transaction.atomic
def declare_inventory_count(*, actor, pharmacy_id, product_code, counted) -> StockMovement:
    """The masks actually counted on the shelves; the ledger records the difference.

    A count equal to the level is still recorded (the ledger shows when stock was checked).
    """
    pharmacy = _member_pharmacy(actor, pharmacy_id)
    product = active_product(product_code)
    counted = clean_quantity(counted, field="counted", allow_zero=True)
    level = lock_level(pharmacy_id=pharmacy.pk, product_id=product.pk)
    if counted < level.reserved:
        raise InvalidInput(
            _(
                "Le comptage (%(counted)d) est inférieur aux %(reserved)d masques réservés par des options "
                "en cours : levez ou délivrez d'abord ces options."
            )
            % {"counted": counted, "reserved": level.reserved},
            code="count_below_reserved",
            field="counted",
        )
    return record_movement(
        level=level, kind=MovementKind.INVENTORY_COUNT, on_hand_delta=counted - level.on_hand, actor=actor
    )


@idempotent("stock-loss", load=_movement)
@retry_on_contention
@transaction.atomic
def declare_loss(*, actor, pharmacy_id, product_code, quantity, reason) -> StockMovement:
    """Masks lost or damaged, with the reason."""
    pharmacy = _member_pharmacy(actor, pharmacy_id)
    product = active_product(product_code)
    quantity = clean_quantity(quantity)
    reason = _required_reason(reason)
    level = lock_level(pharmacy_id=pharmacy.pk, product_id=product.pk)
    return record_movement(
        level=level, kind=MovementKind.ADJUSTMENT, on_hand_delta=-quantity, reason=reason, actor=actor
    )


@idempotent("stock-transfer", load=_transfer, ref=lambda movements: movements[0].pk)
@retry_on_contention
@transaction.atomic
def transfer_stock(
    *, actor, from_pharmacy_id, to_pharmacy_id, product_code, quantity
) -> tuple[StockMovement, StockMovement]:
    """Masks sent to another pharmacy: a TRANSFER_OUT here and a TRANSFER_IN there."""
    source = _member_pharmacy(actor, from_pharmacy_id)
    product = active_product(product_code)
    quantity = clean_quantity(quantity)
    destination = Pharmacy.objects.filter(
        pk=_positive_id(to_pharmacy_id, "to_pharmacy"), is_active=True
    ).first()
    if destination is None:
        raise InvalidInput(
            _("Officine destinataire introuvable."), code="unknown_pharmacy", field="to_pharmacy"
        )
    if destination.pk == source.pk:
        raise InvalidInput(
            _("Choisissez une autre officine que la vôtre."), code="same_pharmacy", field="to_pharmacy"
        )
    levels = lock_levels([(source.pk, product.pk), (destination.pk, product.pk)])
    outgoing = record_movement(
        level=levels[(source.pk, product.pk)],
        kind=MovementKind.TRANSFER_OUT,
        on_hand_delta=-quantity,
        counterpart=destination,
        actor=actor,
    )
    incoming = record_movement(
        level=levels[(destination.pk, product.pk)],
        kind=MovementKind.TRANSFER_IN,
        on_hand_delta=quantity,
        counterpart=source,
        actor=actor,
    )
    return outgoing, incoming


@transaction.atomic
def correct_movement(*, actor, movement_id, reason) -> StockMovement:
    """Undo a mistaken arrival, count or loss of your pharmacy with a compensating movement (once)."""
    reason = _required_reason(reason)
    original = StockMovement.objects.filter(pk=_positive_id(movement_id, "movement")).first()
    if original is None:
        raise NotFound(_("Mouvement introuvable."))
    _member_pharmacy(actor, original.pharmacy_id)
    if original.kind not in CORRECTABLE_KINDS:
        raise InvalidInput(
            _("Seuls une arrivée, un inventaire ou une perte peuvent être corrigés ici."),
            code="not_correctable",
        )
    level = lock_level(pharmacy_id=original.pharmacy_id, product_id=original.product_id)
    # Re-checked under the level's lock: two corrections of the same movement queue here.
    if original.corrections.exists():
        raise Conflict(_("Ce mouvement a déjà été corrigé."), code="already_corrected")
    return record_movement(
        level=level,
        kind=MovementKind.CORRECTION,
        on_hand_delta=-original.on_hand_delta,
        reserved_delta=-original.reserved_delta,
        reason=reason,
        corrects=original,
        actor=actor,
    )


@transaction.atomic
def mark_sold_out(*, actor, pharmacy_id, product_code) -> StockLevel:
    """One click: searches show the pharmacy as "épuisé" until the next arrival or count."""
    pharmacy = _member_pharmacy(actor, pharmacy_id)
    product = active_product(product_code)
    level = lock_level(pharmacy_id=pharmacy.pk, product_id=product.pk)
    if level.sold_out_at is None:
        level.sold_out_at = timezone.now()
        level.save(update_fields=["sold_out_at", "updated_at"])
    return level


def _required_reason(reason) -> str:
    reason = str(reason or "").strip()
    if not reason:
        raise InvalidInput(_("Indiquez le motif."), code="reason_required", field="reason")
    if len(reason) > 255:
        raise InvalidInput(
            _("Le motif ne peut pas dépasser 255 caractères."), code="reason_too_long", field="reason"
        )
    return reason


def _positive_id(value, field: str) -> int:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        number = 0
    if number <= 0:
        raise InvalidInput(_("Identifiant invalide."), code="invalid_id", field=field)
    return number
