"""Quota policies and the quota steps that options and handovers share, in one place:
who may act or be served, the policy in force, the refusal past the quota, and closing an option.

`LOCK_QUOTA_ROW` is read here at call time (the concurrency tests' negative control turns it off)."""

from datetime import date, datetime

from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.permissions import ARS, PROFESSIONAL, ensure_region_scope, require_role
from distribution import quotas
from distribution.models import QuotaPolicy, Reservation, ReservationStatus
from gomask import clock
from gomask.cleaning import clean_quantity, parse_id
from gomask.errors import Conflict, InvalidInput, NotAllowed, NotFound
from pharmacies.models import MovementKind, Pharmacy, Product
from pharmacies.selectors import active_product
from pharmacies.stock import record_movement
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


def open_pharmacy(pharmacy_id) -> Pharmacy:
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


def no_quota_policy(professional: Professional) -> NoQuotaPolicy:
    return NoQuotaPolicy(
        _("Aucun quota n'est défini pour votre profession (%(profession)s) et ce produit : pas de masques.")
        % {"profession": professional.get_profession_display().lower()}
    )


def policy_for(professional: Professional, product: Product, now: datetime) -> QuotaPolicy:
    policy = quotas.policy_in_force(
        profession=professional.profession,
        product_id=product.pk,
        region_code=professional.practice_commune.region_id,
        on=clock.local_date(now),
    )
    if policy is None:
        raise no_quota_policy(professional)
    return policy


def product_and_policy(
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
        raise no_quota_policy(professional)
    return policy.product, policy


def quota_refusal(*, policy, received, held, asked, for_counter: bool) -> QuotaExceeded:
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


def expire_option(option: Reservation, level, *, now: datetime):
    """Close an option past its expiry (its hold goes back to the stock), as every action that
    meets one does before it counts the quota."""
    return close_reservation(
        option,
        level,
        status=ReservationStatus.EXPIRED,
        actor=None,
        now=now,
        reason=_("Option n° %(id)d expirée") % {"id": option.pk},
    )


def close_reservation(reservation: Reservation, level, *, status: str, actor, now: datetime, reason: str):
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
