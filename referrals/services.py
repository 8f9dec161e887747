"""Domain actions of the referrals app: one function per action, keyword-only arguments.

Care sites are edited by ARS staff (their region) and CPTS coordinators (their territory);
a site's status is declared by its manager (or that staff); professionals send referral
slips, which go to the site's address through the notifications outbox.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from distribution.models import CARE_SITE_TEXT_MAX, CareSite, CareSiteKind
from gomask import clock
from gomask.cleaning import MAX_QUANTITY, parse_id
from gomask.errors import Conflict, InvalidInput, NotAllowed
from gomask.identifiers import validate_finess
from gomask.phones import clean_phone
from notifications.models import Delivery, DeliveryKind
from notifications.services import queue_email, queue_staff_messages
from referrals import selectors
from referrals.models import REASON_MAX, Referral, SiteState, SiteStatus, StatusReport
from territories.geocoding import geocode_address
from territories.models import Commune

SENDER_ROLES = (Role.PROFESSIONAL, Role.PHARMACIST)
NAME_MAX = 200


def _text(value, *, field: str, maximum: int, label: str, required: bool = False) -> str:
    value = " ".join(str(value or "").split())
    if required and not value:
        raise InvalidInput(
            _("%(label)s est obligatoire.") % {"label": label}, code=f"empty_{field}", field=field
        )
    if len(value) > maximum:
        raise InvalidInput(
            _("%(label)s dépasse %(maximum)d caractères.") % {"label": label, "maximum": maximum},
            code=f"{field}_too_long",
            field=field,
        )
    return value


def _ensure_staff(actor) -> None:
    if not (actor.is_authenticated and actor.is_approved and actor.role in selectors.STAFF_ROLES):
        raise NotAllowed(_("Seuls l'ARS et les coordinateurs de CPTS gèrent les sites de soins."))


def save_site(
    *,
    actor,
    site_id=None,
    kind: str,
    name: str,
    commune: Commune | None,
    address: str = "",
    phone: str = "",
    email: str = "",
    opening_hours: str = "",
    access_conditions: str = "",
    manager_email: str = "",
    finess: str = "",
    is_active: bool = True,
) -> CareSite:
    """Create (no `site_id`) or edit a care site, within the actor's region or CPTS territory.

    The position is the address's (geocoded) or the commune's. The manager is an existing
    validated account, named by its e-mail address.
    """
    _ensure_staff(actor)
    if kind not in CareSiteKind.values:
        raise InvalidInput(_("Type de site inconnu."), code="invalid_kind", field="kind")
    name = _text(name, field="name", maximum=NAME_MAX, label=_("Le nom"), required=True)
    address = _text(address, field="address", maximum=255, label=_("L'adresse"))
    opening_hours = _text(
        opening_hours, field="opening_hours", maximum=CARE_SITE_TEXT_MAX, label=_("Les horaires")
    )
    access_conditions = _text(
        access_conditions,
        field="access_conditions",
        maximum=CARE_SITE_TEXT_MAX,
        label=_("Les conditions d'accès"),
    )
    if commune is None:
        raise InvalidInput(_("Indiquez la commune du site."), code="missing_commune", field="commune")
    if not selectors.may_edit_commune(actor, commune):
        raise NotAllowed(_("Cette commune est hors de votre périmètre."), code="out_of_territory")
    phone = clean_phone(phone)
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise InvalidInput(
                _("L'adresse de courriel n'est pas valide."), code="invalid_email", field="email"
            ) from exc
    finess = (finess or "").strip()
    if finess:
        try:
            finess = validate_finess(finess)
        except ValidationError as exc:
            raise InvalidInput(exc.messages[0], code="invalid_finess", field="finess") from exc
    manager = None
    manager_email = (manager_email or "").strip()
    if manager_email:
        manager = User.objects.filter(email__iexact=manager_email).first()
        if manager is None or not manager.is_approved:
            raise InvalidInput(
                _(
                    "Aucun compte validé n'a l'adresse %(email)s : "
                    "le responsable doit d'abord créer son compte."
                )
                % {"email": manager_email},
                code="unknown_manager",
                field="manager_email",
            )
    position = geocode_address(street=address, commune=commune)
    values = {
        "kind": kind,
        "name": name,
        "address": address,
        "commune": commune,
        "region_id": commune.region_id,
        "latitude": position.latitude,
        "longitude": position.longitude,
        "phone": phone,
        "email": email,
        "opening_hours": opening_hours,
        "access_conditions": access_conditions,
        "manager": manager,
        "finess": finess,
        "is_active": bool(is_active),
    }
    try:
        with transaction.atomic():
            if site_id is None:
                site = CareSite.objects.create(**values)
            else:
                site = selectors.editable_site(actor, site_id)
                site = CareSite.objects.select_for_update(of=("self",)).get(pk=site.pk)
                for field, value in values.items():
                    setattr(site, field, value)
                site.save()
    except IntegrityError as exc:
        raise Conflict(
            _("Un site de ce type porte déjà ce nom dans cette commune, ou ce numéro FINESS."),
            code="care_site_exists",
            field="name",
        ) from exc
    return site


def _capacity(value) -> int | None:
    if value is None or str(value).strip() == "":
        return None
    text = str(value).replace(" ", "").strip()
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_QUANTITY:
        raise InvalidInput(
            _("Les places restantes sont un nombre entier entre 0 et %(max)d.") % {"max": MAX_QUANTITY},
            code="invalid_capacity",
            field="capacity_left",
        )
    return int(text)


def declare_status(
    *,
    actor,
    site_id,
    state: str,
    capacity_left=None,
    covid_track: bool = False,
    non_covid_track: bool = False,
    accepts_referrals: bool = False,
    now: datetime | None = None,
) -> SiteStatus:
    """The site's manager (or staff in scope) declares its status; the history keeps each one.

    The site row is locked so that the current status is always the last declaration.
    """
    site = selectors.declarable_site(actor, site_id)
    if state not in SiteState.values:
        raise InvalidInput(_("État inconnu : ouvert, saturé ou fermé."), code="invalid_state", field="state")
    capacity = _capacity(capacity_left)
    now = now or timezone.now()
    values = {
        "state": state,
        "capacity_left": capacity,
        "covid_track": bool(covid_track),
        "non_covid_track": bool(non_covid_track),
        "accepts_referrals": bool(accepts_referrals) and state != SiteState.CLOSED,
        "declared_by": actor,
        "declared_at": now,
    }
    with transaction.atomic():
        CareSite.objects.select_for_update(of=("self",)).filter(pk=site.pk).first()
        StatusReport.objects.create(site=site, **values)
        status, _created = SiteStatus.objects.update_or_create(
            site=site, defaults={**values, "silence_flagged_at": None}
        )
    return status


def _claim_silent_status(site_pk: int, *, now: datetime) -> SiteStatus | None:
    """The silent status row of a site, locked; None if declared or flagged meanwhile, or if
    another worker holds it (it is flagging it)."""
    return (
        selectors.silent_sites(now=now)
        .select_for_update(of=("self",), skip_locked=True)
        .filter(site_id=site_pk)
        .first()
    )


def flag_silent_sites(*, now: datetime | None = None) -> int:
    """Tell each silent site's CPTS coordinators and ARS staff (portal and e-mail), once per silence.

    A site is silent when its last status is older than REFERRAL_SILENT_HOURS; the flag is
    cleared by its next declaration.
    """
    now = now or timezone.now()
    flagged = 0
    for site_pk in list(selectors.silent_sites(now=now).values_list("site_id", flat=True)[:1000]):
        with transaction.atomic():
            status = _claim_silent_status(site_pk, now=now)
            if status is None:  # declared meanwhile, or flagged by another worker
                continue
            site = status.site
            subject = _("Site de soins sans nouvelles : %(name)s") % {"name": site.name}
            body = _(
                "%(name)s (%(commune)s) n'a pas mis à jour son statut depuis le %(when)s. "
                "Contactez son responsable : les professionnels voient un statut périmé."
            ) % {
                "name": site.name,
                "commune": site.commune.name,
                "when": clock.format_datetime(status.declared_at),
            }
            queue_staff_messages(
                users=selectors.coordinators_of(site),
                key_prefix=f"site-silent:{site.pk}:{int(status.declared_at.timestamp())}",
                kind=DeliveryKind.SITE_SILENT,
                subject=subject,
                body=body,
                url=reverse("referrals:site_edit", args=[site.pk]),
            )
            SiteStatus.objects.filter(pk=status.pk).update(silence_flagged_at=now)
            flagged += 1
    return flagged


def _sender_name(actor) -> str:
    name = actor.get_full_name() or actor.email
    professional = getattr(actor, "professional", None) if actor.role == Role.PROFESSIONAL else None
    if professional is not None:
        return f"{professional.first_name} {professional.last_name} ({professional.get_profession_display()})"
    if actor.role == Role.PHARMACIST:
        return _("%(name)s (pharmacien)") % {"name": name}
    return name


def send_referral(*, actor, site_id, reason: str, now: datetime | None = None) -> Referral:
    """A professional sends a patient to a site that accepts referrals: a slip with the reason
    in a few words (no identity, no other health data), e-mailed to the site through the outbox."""
    if not (actor.is_authenticated and actor.is_approved and actor.role in SENDER_ROLES):
        raise NotAllowed(_("Seuls les professionnels de santé adressent des patients."))
    reason = _text(reason, field="reason", maximum=REASON_MAX, label=_("Le motif"), required=True)
    now = now or timezone.now()
    with transaction.atomic():
        site = (
            selectors.accepting_sites()
            .select_for_update(of=("self",))
            .select_related("commune")
            .filter(pk=parse_id(site_id))
            .first()
        )
        if site is None:
            raise Conflict(
                _("Ce site n'accepte pas de patients adressés en ce moment : choisissez-en un autre."),
                code="site_not_accepting",
                field="site",
            )
        professional = getattr(actor, "professional", None) if actor.role == Role.PROFESSIONAL else None
        referral = Referral.objects.create(
            site=site,
            reason=reason,
            sender=actor,
            sender_name=_sender_name(actor),
            sender_phone=(professional.phone if professional else "") or actor.phone,
            created_at=now,
        )
        if site.email:
            queue_email(
                delivery_key=f"referral:{referral.pk}",
                kind=DeliveryKind.REFERRAL_SLIP,
                address=site.email,
                subject=_("Patient adressé à %(site)s") % {"site": site.name},
                body=slip_text(referral),
            )
    return referral


def slip_text(referral: Referral) -> str:
    lines = [
        _("Fiche d'adressage n° %(number)d du %(when)s")
        % {"number": referral.pk, "when": clock.format_datetime(referral.created_at)},
        _("Site : %(site)s, %(commune)s")
        % {"site": referral.site.name, "commune": referral.site.commune.name},
        _("Motif : %(reason)s") % {"reason": referral.reason},
        _("Adressé par : %(sender)s") % {"sender": referral.sender_name},
    ]
    if referral.sender_phone:
        lines.append(_("Téléphone de l'émetteur : %(phone)s") % {"phone": referral.sender_phone})
    lines.append(
        _("Le patient présente cette fiche à l'accueil. Fiche conservée %(days)d jours.")
        % {"days": settings.REFERRAL_RETENTION_DAYS}
    )
    return "\n".join(lines)


def purge_referrals(*, now: datetime | None = None) -> int:
    """Delete the slips (and their e-mails) older than REFERRAL_RETENTION_DAYS."""
    now = now or timezone.now()
    limit = now - timedelta(days=settings.REFERRAL_RETENTION_DAYS)
    with transaction.atomic():
        count, _deleted = Referral.objects.filter(created_at__lt=limit).delete()
        # The e-mails of the slips hold the reason too.
        Delivery.objects.filter(kind=DeliveryKind.REFERRAL_SLIP, created_at__lt=limit).delete()
    return count
