"""Options (reservations): a professional holds masks at a pharmacy within quota and stock."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from distribution import quotas
from distribution.models import (
    Reservation,
    ReservationStatus,
)
from distribution.services import policies
from distribution.services.policies import (
    acting_professional,
    close_reservation,
    expire_option,
    open_pharmacy,
    policy_for,
    quota_refusal,
)
from gomask import clock
from gomask.cleaning import clean_quantity, parse_id
from gomask.errors import Conflict, NotFound
from gomask.idempotency import idempotent
from gomask.locks import retry_on_contention
from pharmacies.models import MovementKind
from pharmacies.selectors import active_product
from pharmacies.stock import lock_levels, record_movement


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
    pharmacy = open_pharmacy(pharmacy_id)
    policy = policy_for(professional, product, now)
    period = clock.week_start(now)
    with transaction.atomic():
        if policies.LOCK_QUOTA_ROW:
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
            expire_option(stale, levels[(stale.pharmacy_id, stale.product_id)], now=now)
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
            raise quota_refusal(
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
    close_reservation(
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
            expire_option(reservation, level, now=now)
            expired += 1
    return expired
