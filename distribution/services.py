"""Domain actions of the distribution app: quota policies, options, handovers, shipments.

Lock order (one global order, so concurrent actions queue instead of deadlocking):

1. the quota row of (professional, product, week) — `distribution.quotas.lock_quota`, taken only
   by actions that add to a quota (reserve, dispense);
2. reservation rows (SELECT ... FOR UPDATE);
3. stock levels, through `pharmacies.stock.lock_levels` (sorted by (pharmacy, product)).

The quota invariant — received + held in active options in the week, across every pharmacy,
never exceeds the policy quantity — is re-checked from the real records (dispensations and
active reservations) while the quota row is locked. Releases (cancel, expiry) only lower the
usage, so they lock the reservation row then the stock level without the quota row.
"""

from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.permissions import ARS, PROFESSIONAL, ensure_region_scope, require_role
from distribution import quotas
from distribution.models import (
    CareSite,
    Dispensation,
    QuotaPolicy,
    Reservation,
    ReservationStatus,
    Shipment,
    ShipmentSource,
)
from gomask import clock
from gomask.cleaning import clean_quantity, parse_id
from gomask.errors import Conflict, InvalidInput, NotAllowed, NotFound
from gomask.idempotency import idempotent
from gomask.locks import retry_on_contention
from pharmacies.models import MovementKind, Pharmacy, Product
from pharmacies.selectors import active_product, pharmacist_pharmacy
from pharmacies.stock import lock_levels, record_movement
from pharmacies.wording import masks
from professionals.models import Profession, Professional
from territories.models import Region

# Only the concurrency tests' negative control turns this off, to prove the tests catch an
# oversell when the quota row is not locked. Never change it anywhere else.
LOCK_QUOTA_ROW = True


class QuotaExceeded(Conflict):
    code = "quota_exceeded"


class NoQuotaPolicy(Conflict):
    code = "no_quota"


def _open_pharmacy(pharmacy_id) -> Pharmacy:
    pharmacy = Pharmacy.objects.filter(pk=parse_id(pharmacy_id)).first()
    if pharmacy is None:
        raise NotFound(_("Officine introuvable."), code="unknown_pharmacy")
    if not pharmacy.is_active:
        raise Conflict(_("Cette officine est fermée sur le portail."), code="pharmacy_closed")
    return pharmacy


def acting_professional(actor) -> Professional:
    """The gate "a professional acting on their own account": approved, linked, not suspended."""
    require_role(
        actor,
        PROFESSIONAL,
        _("Seul un professionnel de santé peut poser une option."),
        pending_message=_(
            "Votre compte est en attente de validation : vous pourrez poser une option dès qu'il sera validé."
        ),
    )
    professional = Professional.objects.select_related("practice_commune").filter(user=actor).first()
    if professional is None:
        raise NotAllowed(
            _("Votre compte n'est relié à aucun professionnel de santé."), code="no_professional"
        )
    if professional.is_suspended:
        raise NotAllowed(
            _(
                "Votre numéro ne figure plus dans l'annuaire RPPS/ADELI : vos droits sont suspendus. "
                "Contactez l'administrateur si c'est une erreur."
            ),
            code="professional_suspended",
        )
    return professional


def eligible_professional(professional_id) -> Professional:
    """The professional to serve; refuses unknown ids and accounts that are not validated.

    A professional without an account (known by RPPS/ADELI only) can be served; one whose
    account is pending or suspended cannot, until the account is validated: the record was
    declared at sign-up and not yet checked against the RPPS/ADELI directories.
    """
    professional = (
        Professional.objects.select_related("user", "practice_commune")
        .filter(pk=parse_id(professional_id))
        .first()
    )
    if professional is None:
        raise NotFound(_("Professionnel de santé introuvable."), code="unknown_professional")
    if professional.user_id and not professional.user.is_approved:
        raise Conflict(
            _(
                "Le compte de %(name)s n'est pas validé (en attente ou suspendu) : aucune délivrance "
                "n'est possible avant sa validation."
            )
            % {"name": professional.full_name},
            code="professional_not_validated",
        )
    if professional.is_suspended:
        raise Conflict(
            _(
                "%(name)s ne figure plus dans l'annuaire RPPS/ADELI : ses droits sont suspendus, "
                "aucune délivrance n'est possible."
            )
            % {"name": professional.full_name},
            code="professional_suspended",
        )
    return professional


def _no_quota_policy(professional: Professional) -> NoQuotaPolicy:
    return NoQuotaPolicy(
        _("Aucun quota n'est défini pour votre profession (%(profession)s) et ce produit : pas de masques.")
        % {"profession": professional.get_profession_display().lower()}
    )


def _policy_for(professional: Professional, product: Product, now: datetime) -> QuotaPolicy:
    policy = quotas.policy_in_force(
        profession=professional.profession,
        product_id=product.pk,
        region_code=professional.practice_commune.region_id,
        on=clock.local_date(now),
    )
    if policy is None:
        raise _no_quota_policy(professional)
    return policy


def _product_and_policy(
    professional: Professional, product_code, now: datetime
) -> tuple[Product, QuotaPolicy]:
    """The active product `product_code` and the policy in force for it, in one query.

    Only when none is found does a second query tell an unknown product (400) from a product
    without a quota for this profession (409).
    """
    code = str(product_code or "")
    policy = quotas.policy_in_force(
        profession=professional.profession,
        product_code=code,
        region_code=professional.practice_commune.region_id,
        on=clock.local_date(now),
    )
    if policy is None:
        active_product(code)
        raise _no_quota_policy(professional)
    return policy.product, policy


def _quota_refusal(*, policy, received, held, asked, for_counter: bool) -> QuotaExceeded:
    product = policy.product
    values = {
        "quota": masks(policy.quantity, product),
        "received": masks(received),
        "held": masks(held),
        "remaining": masks(max(policy.quantity - received - held, 0)),
        "asked": masks(asked),
    }
    if for_counter:
        message = _(
            "Délivrance refusée : il reste %(remaining)s cette semaine pour une demande de %(asked)s "
            "(quota hebdomadaire : %(quota)s ; déjà remis, toutes officines : %(received)s ; "
            "en option ailleurs : %(held)s)."
        )
    else:
        message = _(
            "Quota atteint : il vous reste %(remaining)s cette semaine pour une demande de %(asked)s "
            "(quota hebdomadaire : %(quota)s ; déjà remis : %(received)s ; en option : %(held)s)."
        )
    return QuotaExceeded(message % values)


def _close_reservation(reservation: Reservation, level, *, status: str, actor, now: datetime, reason: str):
    movement = record_movement(
        level=level,
        kind=MovementKind.RESERVATION_RELEASE,
        reserved_delta=-reservation.quantity,
        actor=actor,
        reason=reason,
    )
    reservation.status = status
    reservation.closed_at = now
    reservation.release_movement = movement
    reservation.save(update_fields=["status", "closed_at", "release_movement"])
    return movement


# --- options (reservations) ------------------------------------------------------------------


def _reservation(pk: int) -> Reservation:
    return Reservation.objects.select_related("pharmacy", "product").get(pk=pk)


@idempotent("option", load=_reservation)
@retry_on_contention
def reserve(*, actor, pharmacy_id, product_code, quantity, now=None) -> Reservation:
    """A professional puts an option on `quantity` masks at a pharmacy, within quota and stock.

    `reserve.once(idempotency_key=...)`: a retry with the same key returns the first option.
    """
    now = now or timezone.now()
    professional = acting_professional(actor)
    quantity = clean_quantity(quantity)
    product = active_product(product_code)
    pharmacy = _open_pharmacy(pharmacy_id)
    policy = _policy_for(professional, product, now)
    period = clock.week_start(now)
    with transaction.atomic():
        if LOCK_QUOTA_ROW:
            quotas.lock_quota(professional_id=professional.pk, product_id=product.pk, period_start=period)
        due = list(
            Reservation.objects.select_for_update()
            .filter(
                professional=professional,
                product=product,
                status=ReservationStatus.ACTIVE,
                expires_at__lte=now,
            )
            .order_by("pk")
        )
        levels = lock_levels({(r.pharmacy_id, r.product_id) for r in due} | {(pharmacy.pk, product.pk)})
        for stale in due:
            _close_reservation(
                stale,
                levels[(stale.pharmacy_id, stale.product_id)],
                status=ReservationStatus.EXPIRED,
                actor=None,
                now=now,
                reason=_("Option n° %(id)d expirée") % {"id": stale.pk},
            )
        if Reservation.objects.filter(
            professional=professional, pharmacy=pharmacy, product=product, status=ReservationStatus.ACTIVE
        ).exists():
            raise Conflict(
                _(
                    "Vous avez déjà une option active sur ce produit dans cette officine : "
                    "annulez-la d'abord."
                ),
                code="already_reserved",
            )
        received, held = quotas.usage(
            professional_id=professional.pk, product_id=product.pk, period_start=period, now=now
        )
        if received + held + quantity > policy.quantity:
            raise _quota_refusal(
                policy=policy, received=received, held=held, asked=quantity, for_counter=False
            )
        reservation = Reservation(
            professional=professional,
            pharmacy=pharmacy,
            product=product,
            quantity=quantity,
            period_start=period,
            created_at=now,
            expires_at=now + settings.RESERVATION_HOLD,
            created_by=actor,
        )
        reservation.hold_movement = record_movement(
            level=levels[(pharmacy.pk, product.pk)],
            kind=MovementKind.RESERVATION_HOLD,
            reserved_delta=quantity,
            actor=actor,
            reason=_("Option de %(name)s") % {"name": professional.full_name},
        )
        reservation.save()
    return reservation
    return reservation


def owned_reservation(actor, reservation_id) -> Reservation:
    """The gate "an option for its professional": another's option is 404, as an unknown one."""
    professional = acting_professional(actor)
    reservation = Reservation.objects.filter(pk=parse_id(reservation_id), professional=professional).first()
    if reservation is None:
        raise NotFound(_("Option introuvable."), code="unknown_reservation")
    return reservation


@transaction.atomic
def cancel_reservation(*, actor, reservation_id, now=None) -> Reservation:
    """The professional who put an option cancels it; the held masks go back to the stock."""
    now = now or timezone.now()
    found = owned_reservation(actor, reservation_id)
    reservation = Reservation.objects.select_for_update().get(pk=found.pk)
    if reservation.status != ReservationStatus.ACTIVE:
        raise Conflict(
            _("Cette option n'est plus active (%(status)s).")
            % {"status": reservation.get_status_display().lower()},
            code="reservation_not_active",
        )
    if reservation.expires_at <= now:
        raise Conflict(
            _("Cette option a expiré : les masques ont été remis en stock."), code="reservation_expired"
        )
    level = lock_levels([(reservation.pharmacy_id, reservation.product_id)])[
        (reservation.pharmacy_id, reservation.product_id)
    ]
    _close_reservation(
        reservation,
        level,
        status=ReservationStatus.CANCELLED,
        actor=actor,
        now=now,
        reason=_("Option n° %(id)d annulée") % {"id": reservation.pk},
    )
    return reservation


def expire_reservations(now=None) -> int:
    """Release every option past its expiry (one short transaction each); returns how many.

    Idempotent: a reservation already closed, or locked by a handover right now, is skipped.
    """
    now = now or timezone.now()
    due_ids = list(
        Reservation.objects.filter(status=ReservationStatus.ACTIVE, expires_at__lte=now)
        .order_by("expires_at", "pk")
        .values_list("pk", flat=True)[:5000]
    )
    expired = 0
    for reservation_id in due_ids:
        with transaction.atomic():
            reservation = (
                Reservation.objects.select_for_update(skip_locked=True)
                .filter(pk=reservation_id, status=ReservationStatus.ACTIVE, expires_at__lte=now)
                .first()
            )
            if reservation is None:
                continue
            level = lock_levels([(reservation.pharmacy_id, reservation.product_id)])[
                (reservation.pharmacy_id, reservation.product_id)
            ]
            _close_reservation(
                reservation,
                level,
                status=ReservationStatus.EXPIRED,
                actor=None,
                now=now,
                reason=_("Option n° %(id)d expirée") % {"id": reservation.pk},
            )
            expired += 1
    return expired


# --- handovers (dispensations) -------------------------------------------------------------------


def _dispensation(pk: int) -> Dispensation:
    return Dispensation.objects.select_related("pharmacy", "product", "professional").get(pk=pk)


@idempotent("handover", load=_dispensation)
@retry_on_contention
def dispense(
    *,
    actor,
    pharmacy_id,
    professional_id,
    product_code,
    quantity,
    identity_checked,
    now=None,
) -> Dispensation:
    """A pharmacist hands masks over to a professional after checking their identity.

    Fulfils the professional's active option at this pharmacy for this product if there is
    one (its hold is converted: the whole hold is released, `quantity` leaves the stock);
    otherwise takes from the available stock. Refused past the weekly quota, counted across
    every pharmacy. `dispense.once(idempotency_key=...)`: a retry returns the first handover.
    """
    now = now or timezone.now()
    pharmacy = pharmacist_pharmacy(
        actor, pharmacy_id, _("Seul un pharmacien de l'officine peut enregistrer une délivrance.")
    )
    quantity = clean_quantity(quantity)
    if identity_checked is not True:
        raise InvalidInput(
            _(
                "Vérifiez l'identité du professionnel (carte professionnelle) "
                "et cochez « identité vérifiée »."
            ),
            code="identity_not_checked",
            field="identity_checked",
        )
    professional = eligible_professional(professional_id)
    product, policy = _product_and_policy(professional, product_code, now)
    period = clock.week_start(now)
    with transaction.atomic():
        if LOCK_QUOTA_ROW:
            quotas.lock_quota(professional_id=professional.pk, product_id=product.pk, period_start=period)
        options = list(
            Reservation.objects.select_for_update()
            .filter(professional=professional, product=product, status=ReservationStatus.ACTIVE)
            .filter(Q(expires_at__lte=now) | Q(pharmacy=pharmacy))
            .order_by("pk")
        )
        levels = lock_levels({(r.pharmacy_id, r.product_id) for r in options} | {(pharmacy.pk, product.pk)})
        here = None
        for option in options:
            if option.expires_at <= now:
                _close_reservation(
                    option,
                    levels[(option.pharmacy_id, option.product_id)],
                    status=ReservationStatus.EXPIRED,
                    actor=None,
                    now=now,
                    reason=_("Option n° %(id)d expirée") % {"id": option.pk},
                )
            else:
                here = option
        received, held = quotas.usage(
            professional_id=professional.pk,
            product_id=product.pk,
            period_start=period,
            exclude_reservation_id=here.pk if here else None,
            now=now,
        )
        if received + held + quantity > policy.quantity:
            raise _quota_refusal(
                policy=policy, received=received, held=held, asked=quantity, for_counter=True
            )
        movement = record_movement(
            level=levels[(pharmacy.pk, product.pk)],
            kind=MovementKind.DISPENSATION,
            on_hand_delta=-quantity,
            reserved_delta=-here.quantity if here else 0,
            actor=actor,
            reason=_("Délivrance à %(name)s") % {"name": professional.full_name},
        )
        if here is not None:
            here.status = ReservationStatus.FULFILLED
            here.closed_at = now
            here.release_movement = movement
            here.save(update_fields=["status", "closed_at", "release_movement"])
        dispensation = Dispensation.objects.create(
            professional=professional,
            pharmacy=pharmacy,
            product=product,
            quantity=quantity,
            policy=policy,
            period_start=period,
            reservation=here,
            identity_checked=True,
            dispensed_by=actor,
            movement=movement,
            created_at=now,
        )
    return dispensation


# --- quota policies -------------------------------------------------------------------------


def add_quota_policy(
    *, actor, profession, product_code, quantity, effective_from: date, region_code=None, note=""
) -> QuotaPolicy:
    """ARS staff add a version for their region; administrators for any region or nationally."""
    require_role(actor, ARS, _("Seuls l'ARS et les administrateurs modifient les quotas."))
    if profession not in Profession.values:
        raise InvalidInput(_("Profession inconnue."), code="invalid_profession", field="profession")
    product = active_product(product_code)
    quantity = clean_quantity(quantity, allow_zero=True)
    if not isinstance(effective_from, date) or not date(2020, 1, 1) <= effective_from <= date(2100, 1, 1):
        raise InvalidInput(
            _("Indiquez une date d'entrée en vigueur valide (à partir de 2020)."),
            code="invalid_date",
            field="effective_from",
        )
    region = None
    if region_code:
        region = Region.objects.filter(code=str(region_code)).first()
        if region is None:
            raise InvalidInput(_("Région inconnue."), code="unknown_region", field="region")
        ensure_region_scope(actor, region.code)
    elif actor.role != Role.ADMIN:
        raise NotAllowed(
            _("Seul un administrateur national peut modifier le quota national ; choisissez votre région."),
            code="national_quota_admin_only",
        )
    return QuotaPolicy.objects.create(
        profession=profession,
        product=product,
        quantity=quantity,
        effective_from=effective_from,
        region=region,
        note=str(note or "")[:255],
        created_by=actor,
    )


# --- shipments from the regional stock --------------------------------------------------------


def _ars_actor(actor) -> None:
    require_role(actor, ARS, _("Seuls l'ARS et les administrateurs gèrent le stock régional."))


def create_shipment(
    *, actor, product_code, quantity, source, pharmacy_id=None, care_site_id=None, note=""
) -> Shipment:
    """ARS staff ship masks from their regional stock to a pharmacy or a care site of their region."""
    _ars_actor(actor)
    product = active_product(product_code)
    quantity = clean_quantity(quantity)
    if source not in ShipmentSource.values:
        raise InvalidInput(_("Origine du stock inconnue."), code="invalid_source", field="source")
    if bool(pharmacy_id) == bool(care_site_id):
        raise InvalidInput(
            _("Choisissez une seule destination : une officine ou un site (centre COVID, laboratoire)."),
            code="invalid_destination",
        )
    pharmacy = care_site = None
    if pharmacy_id:
        pharmacy = Pharmacy.objects.filter(pk=parse_id(pharmacy_id)).first()
    else:
        care_site = CareSite.objects.filter(pk=parse_id(care_site_id)).first()
    destination = pharmacy or care_site
    if destination is None:
        raise NotFound(_("Destination introuvable."), code="unknown_destination")
    ensure_region_scope(actor, destination.region_id)
    return Shipment.objects.create(
        region_id=destination.region_id,
        product=product,
        quantity=quantity,
        source=source,
        pharmacy=pharmacy,
        care_site=care_site,
        note=str(note or "")[:255],
        created_by=actor,
    )


def _locked_shipment(shipment_id) -> Shipment:
    shipment = Shipment.objects.select_for_update().filter(pk=parse_id(shipment_id)).first()
    if shipment is None:
        raise NotFound(_("Envoi introuvable."), code="unknown_shipment")
    return shipment


def _already_received(shipment) -> Conflict:
    return Conflict(
        _("Cet envoi a déjà été réceptionné le %(date)s.")
        % {"date": clock.format_datetime(shipment.received_at)},
        code="already_received",
    )


@transaction.atomic
def confirm_shipment_receipt(*, actor, shipment_id, now=None) -> Shipment:
    """A pharmacist of the destination confirms receipt: the masks arrive in its stock ledger."""
    from pharmacies.services import declare_arrival

    shipment = _locked_shipment(shipment_id)
    if not shipment.pharmacy_id:
        raise NotFound(_("Envoi introuvable."), code="unknown_shipment")
    pharmacist_pharmacy(
        actor,
        shipment.pharmacy_id,
        _("Seul un pharmacien de l'officine destinataire peut confirmer la réception."),
    )
    if shipment.is_received:
        raise _already_received(shipment)
    shipment.arrival_movement = declare_arrival(
        actor=actor,
        pharmacy_id=shipment.pharmacy_id,
        product_code=shipment.product.code,
        quantity=shipment.quantity,
        unit="mask",
        source="regional",
        note=_("Envoi n° %(id)d du stock régional de l'ARS") % {"id": shipment.pk},
    )
    shipment.received_at = now or timezone.now()
    shipment.received_by = actor
    shipment.save(update_fields=["received_at", "received_by", "arrival_movement"])
    return shipment


@transaction.atomic
def record_care_site_receipt(*, actor, shipment_id, now=None) -> Shipment:
    """ARS staff record that a COVID centre or a laboratory of their region received a shipment."""
    _ars_actor(actor)
    shipment = _locked_shipment(shipment_id)
    if not shipment.care_site_id:
        raise InvalidInput(
            _("Cet envoi va à une officine : c'est le pharmacien qui en confirme la réception."),
            code="pharmacy_confirms",
        )
    ensure_region_scope(actor, shipment.region_id)
    if shipment.is_received:
        raise _already_received(shipment)
    shipment.received_at = now or timezone.now()
    shipment.received_by = actor
    shipment.save(update_fields=["received_at", "received_by"])
    return shipment
