"""Handovers (dispensations): a pharmacist hands masks over after checking identity."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from distribution import quotas
from distribution.models import (
    Dispensation,
    Reservation,
    ReservationStatus,
)
from distribution.services import policies
from distribution.services.policies import (
    eligible_professional,
    expire_option,
    product_and_policy,
    quota_refusal,
)
from gomask import clock
from gomask.cleaning import clean_quantity
from gomask.errors import InvalidInput
from gomask.idempotency import idempotent
from gomask.locks import retry_on_contention
from pharmacies.models import MovementKind
from pharmacies.selectors import pharmacist_pharmacy
from pharmacies.stock import lock_levels, record_movement


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
    product, policy = product_and_policy(professional, product_code, now)
    period = clock.week_start(now)
    with transaction.atomic():
        if policies.LOCK_QUOTA_ROW:
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
                expire_option(option, levels[(option.pharmacy_id, option.product_id)], now=now)
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
            raise quota_refusal(policy=policy, received=received, held=held, asked=quantity, for_counter=True)
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
