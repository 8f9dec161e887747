"""Read queries of the crisis console: scopes, console figures, census, drill report."""

import statistics
from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from crisis.models import (
    Acceptance,
    Acknowledgement,
    Activation,
    ActivationBulletin,
    Availability,
    ReinforcementRequest,
    RequestCall,
    RequestStatus,
)
from distribution.models import CareSite
from gomask.cleaning import parse_id
from gomask.errors import NotFound
from notifications.models import CoordinatorScope, CrisisBulletin, Delivery, DeliveryStatus
from notifications.selectors import bulletin_recipients
from professionals.models import Profession, Professional

MANAGER_ROLES = (Role.CPTS_COORDINATOR, Role.ARS_STAFF, Role.ADMIN)


def territories_for(user) -> QuerySet[CoordinatorScope]:
    """CPTS territories a user may activate and follow: a coordinator their own, ARS staff those
    of their region, an administrator all of them."""
    scopes = CoordinatorScope.objects.select_related("user").order_by("name", "pk")
    if not (user.is_authenticated and user.is_approved):
        return scopes.none()
    if user.role == Role.ADMIN:
        return scopes
    if user.role == Role.ARS_STAFF and user.region_id:
        return scopes.filter(user__region_id=user.region_id)
    if user.role == Role.CPTS_COORDINATOR:
        return scopes.filter(user=user)
    return scopes.none()


def activations_for(user) -> QuerySet[Activation]:
    return Activation.objects.filter(territory__in=territories_for(user)).select_related(
        "territory", "region"
    )


def activation_for(user, activation_id) -> Activation:
    """An activation in the user's scope; any other (another CPTS, another region): 404."""
    activation = activations_for(user).filter(pk=parse_id(activation_id)).first()
    if activation is None:
        raise NotFound(_("Activation introuvable."))
    return activation


def territory_professionals(territory: CoordinatorScope) -> QuerySet[Professional]:
    """Professionals practising on a CPTS territory (its EPCIs and communes)."""
    return Professional.objects.filter(
        Q(practice_commune__epci__in=territory.epcis.all()) | Q(practice_commune__in=territory.communes.all())
    ).filter(practice_commune__region_id=territory.user.region_id)


def open_activations_covering(commune) -> list[Activation]:
    """Open activations whose CPTS territory covers a commune (its EPCI or the commune itself)."""
    covers = Q(territory__communes=commune.pk)
    if commune.epci_id:
        covers |= Q(territory__epcis=commune.epci_id)
    return list(
        Activation.objects.filter(ended_at__isnull=True, region_id=commune.region_id)
        .filter(covers)
        .select_related("territory")
        .distinct()
        .order_by("-started_at", "-pk")
    )


def open_activations_for_professional(professional: Professional) -> list[Activation]:
    """Open activations whose territory covers where the professional practises."""
    return open_activations_covering(professional.practice_commune)


def managed_site(user, site_id) -> CareSite:
    """An active care site `user` manages (the manager named on the site); any other site: 404.
    A site's manager may post requests for reinforcement for it, nothing else of the console."""
    site = (
        CareSite.objects.select_related("commune")
        .filter(pk=parse_id(site_id), manager=user, is_active=True)
        .first()
        if user.is_authenticated and user.is_approved
        else None
    )
    if site is None:
        raise NotFound(_("Site de soins introuvable."))
    return site


def site_activation(site: CareSite, activation_id=None) -> Activation | None:
    """The open activation covering the site (the one named, or the latest), None if there is none."""
    activations = open_activations_covering(site.commune)
    if activation_id not in (None, ""):
        activations = [a for a in activations if a.pk == parse_id(activation_id)]
    return activations[0] if activations else None


def activation_bulletins(activation: Activation) -> list[CrisisBulletin]:
    ids = ActivationBulletin.objects.filter(activation=activation).values_list("bulletin_id", flat=True)
    return list(CrisisBulletin.objects.filter(pk__in=list(ids)).order_by("-published_at", "-id"))


def _profession_label(code: str) -> str:
    return Profession(code).label if code in Profession.values else code


def bulletin_reach(bulletin: CrisisBulletin) -> dict:
    """For one bulletin: per (profession, commune) how many professionals were targeted, reached
    (at least one message delivered) and acknowledged; and who has not been reached."""
    targets = list(
        bulletin_recipients(bulletin)
        .select_related("practice_commune")
        .order_by("practice_commune__name", "last_name", "first_name", "pk")
    )
    reached = set(
        Delivery.objects.filter(bulletin=bulletin, status=DeliveryStatus.SENT).values_list(
            "professional_id", flat=True
        )
    )
    acknowledged = dict(
        Acknowledgement.objects.filter(bulletin=bulletin).values_list("professional_id", "acknowledged_at")
    )
    groups: dict[tuple, dict] = {}
    unreached = []
    for professional in targets:
        key = (professional.profession, professional.practice_commune.name)
        group = groups.setdefault(
            key,
            {
                "profession": _profession_label(professional.profession),
                "commune": professional.practice_commune.name,
                "targeted": 0,
                "delivered": 0,
                "acknowledged": 0,
            },
        )
        group["targeted"] += 1
        if professional.pk in reached or professional.pk in acknowledged:
            group["delivered"] += 1
        else:
            unreached.append(professional)
        if professional.pk in acknowledged:
            group["acknowledged"] += 1
    rows = sorted(groups.values(), key=lambda row: (row["profession"], row["commune"]))
    return {
        "bulletin": bulletin,
        "rows": rows,
        "targeted": len(targets),
        "delivered": sum(row["delivered"] for row in rows),
        "acknowledged": sum(row["acknowledged"] for row in rows),
        "unreached": unreached,
    }


def console_figures(activation: Activation) -> list[dict]:
    return [bulletin_reach(bulletin) for bulletin in activation_bulletins(activation)]


def console_json(activation: Activation) -> dict:
    """What the console's polling script reads (refreshed every 30 s)."""
    return {
        "activation": activation.pk,
        "open": activation.is_open,
        "generated_at": timezone.now().isoformat(),
        "bulletins": [
            {
                "id": figures["bulletin"].pk,
                "targeted": figures["targeted"],
                "delivered": figures["delivered"],
                "acknowledged": figures["acknowledged"],
                "unreached": len(figures["unreached"]),
                "rows": figures["rows"],
            }
            for figures in console_figures(activation)
        ],
    }


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(round(share * len(ordered) + 0.4999)) - 1))
    return ordered[index]


def response_times(rows: list[tuple[str, float | None, bool]]) -> dict:
    """rows: (profession label, minutes to acknowledge or None, reached) per targeted professional."""
    minutes = [row[1] for row in rows if row[1] is not None]
    targeted = len(rows)
    within_hour = sum(1 for value in minutes if value <= 60)
    return {
        "targeted": targeted,
        "reached": sum(1 for row in rows if row[2]),
        "acknowledged": len(minutes),
        "median_minutes": round(statistics.median(minutes), 1) if minutes else None,
        "p90_minutes": round(_percentile(minutes, 0.9), 1) if minutes else None,
        "share_within_hour": round(100 * within_hour / targeted) if targeted else None,
    }


def drill_report(activation: Activation) -> dict:
    """Reach and response times of every bulletin of the activation, overall and per profession:
    median / p90 minutes from publication to acknowledgement, share acknowledged within one hour."""
    per_profession: dict[str, list] = {}
    overall = []
    for bulletin in activation_bulletins(activation):
        reached = set(
            Delivery.objects.filter(bulletin=bulletin, status=DeliveryStatus.SENT).values_list(
                "professional_id", flat=True
            )
        )
        acks = dict(
            Acknowledgement.objects.filter(bulletin=bulletin).values_list(
                "professional_id", "acknowledged_at"
            )
        )
        for professional_id, profession in bulletin_recipients(bulletin).values_list("pk", "profession"):
            at = acks.get(professional_id)
            minutes = (at - bulletin.published_at) / timedelta(minutes=1) if at else None
            row = (_profession_label(profession), minutes, professional_id in reached or at is not None)
            overall.append(row)
            per_profession.setdefault(row[0], []).append(row)
    requests = list(ReinforcementRequest.objects.filter(activation=activation).order_by("created_at"))
    first_accept = {}
    for request_id, accepted_at in Acceptance.objects.filter(request__activation=activation).values_list(
        "request_id", "accepted_at"
    ):
        first_accept.setdefault(request_id, accepted_at)
        first_accept[request_id] = min(first_accept[request_id], accepted_at)
    request_minutes = [
        (first_accept[request.pk] - request.created_at) / timedelta(minutes=1)
        for request in requests
        if request.pk in first_accept
    ]
    return {
        "overall": response_times(overall),
        "professions": [
            {"profession": name, **response_times(rows)} for name, rows in sorted(per_profession.items())
        ],
        "requests": len(requests),
        "requests_filled": sum(1 for request in requests if request.status == RequestStatus.FILLED),
        "request_median_minutes": round(statistics.median(request_minutes), 1) if request_minutes else None,
    }


def census(activation: Activation, *, profession: str = "", commune=None, at=None) -> QuerySet[Availability]:
    """Who declared themselves available for the activation, filtered by profession, commune
    and a moment inside their window."""
    rows = Availability.objects.filter(activation=activation).select_related("professional", "commune")
    if profession:
        rows = rows.filter(professional__profession=profession)
    if commune is not None:
        rows = rows.filter(commune=commune)
    if at is not None:
        rows = rows.filter(starts_at__lte=at, ends_at__gt=at)
    return rows.order_by("starts_at", "commune__name", "professional__last_name", "pk")


def requests_of(activation: Activation) -> QuerySet[ReinforcementRequest]:
    return (
        ReinforcementRequest.objects.filter(activation=activation)
        .select_related("commune")
        .prefetch_related("acceptances")
    )


def calls_for(professional: Professional) -> QuerySet[RequestCall]:
    """Requests a professional was asked to reinforce, newest first."""
    return (
        RequestCall.objects.filter(professional=professional)
        .select_related("request__commune", "request__activation__territory")
        .order_by("-asked_at")
    )


def request_for_professional(professional: Professional, request_id) -> ReinforcementRequest:
    """A request the professional was asked for; any other: 404."""
    request = (
        ReinforcementRequest.objects.filter(pk=parse_id(request_id), calls__professional=professional)
        .select_related("commune", "activation__territory")
        .first()
    )
    if request is None:
        raise NotFound(_("Demande de renfort introuvable."))
    return request


def acknowledgement_of(bulletin_id: int, professional_id: int) -> Acknowledgement | None:
    return Acknowledgement.objects.filter(bulletin_id=bulletin_id, professional_id=professional_id).first()
