"""Reads of the specialists pages: lists of requests (no content) and the coordinators' figures."""

from collections import defaultdict
from datetime import timedelta
from statistics import median

from django.db.models import Q
from django.utils import timezone

from accounts.models import Role
from specialists.models import AdviceRequest, RequestStatus, SpecialistProfile
from specialists.specialties import label
from territories.geo import haversine_km

ANSWER_TARGET = timedelta(hours=3)


def sent_by_queryset(professional):
    return (
        AdviceRequest.objects.filter(requester=professional)
        .select_related("accepted_by")
        .order_by("-created_at")
    )


def sent_by(professional, *, limit: int = 50):
    return sent_by_queryset(professional)[:limit]


def accepted_by(professional, *, limit: int = 50):
    return (
        AdviceRequest.objects.filter(accepted_by=professional)
        .select_related("requester", "commune")
        .order_by("-accepted_at")[:limit]
    )


def profile_of(professional) -> SpecialistProfile | None:
    return SpecialistProfile.objects.filter(professional=professional).first()


def offers_for(profile: SpecialistProfile | None, *, limit: int = 50) -> list[tuple[AdviceRequest, float]]:
    """The requests on offer to this specialist now (specialty, circle and own radius), oldest first."""
    if profile is None or not profile.is_active or profile.professional.is_suspended:
        return []
    home = profile.professional.practice_commune
    found = []
    open_requests = (
        AdviceRequest.objects.filter(status=RequestStatus.SENT, specialty=profile.specialty)
        .exclude(requester_id=profile.professional_id)
        .select_related("commune", "requester")
        .order_by("created_at")
    )
    for advice in open_requests[:1000]:
        distance = haversine_km(
            home.latitude, home.longitude, advice.commune.latitude, advice.commune.longitude
        )
        if distance <= advice.radius_km and distance <= profile.radius_km:
            found.append((advice, distance))
            if len(found) >= limit:
                break
    return found


def scope_filter(user) -> Q:
    """The requests a coordinator may count: ARS their region, CPTS their territory, admin all."""
    if user.role == Role.ADMIN:
        return Q()
    if user.role == Role.CPTS_COORDINATOR:
        scope = getattr(user, "cpts_scope", None)
        if scope is not None:
            communes = list(scope.communes.values_list("pk", flat=True))
            epcis = list(scope.epcis.values_list("pk", flat=True))
            if communes or epcis:
                return Q(commune_id__in=communes) | Q(commune__epci_id__in=epcis)
    return Q(commune__region_id=user.region_id)


def _minutes(delta) -> float:
    return round(delta.total_seconds() / 60, 1)


def figures(user, *, now=None) -> dict:
    """Per specialty and département: requests, median minutes to acceptance and to answer,
    share answered within 3 h (of the requests answered or older than 3 h)."""
    now = now or timezone.now()
    rows = (
        AdviceRequest.objects.filter(scope_filter(user))
        .values_list(
            "specialty",
            "commune__departement_id",
            "commune__departement__name",
            "created_at",
            "accepted_at",
            "answered_at",
        )
        .order_by()
    )
    groups = defaultdict(list)
    for specialty, dep_code, dep_name, created, accepted, answered in rows.iterator():
        groups[(specialty, dep_code, dep_name)].append((created, accepted, answered))
    table = []
    totals = []
    for (specialty, dep_code, dep_name), items in sorted(
        groups.items(), key=lambda kv: (label(kv[0][0]), kv[0][1])
    ):
        table.append(
            {"specialty": label(specialty), "departement": f"{dep_name} ({dep_code})", **_stats(items, now)}
        )
        totals.extend(items)
    return {"rows": table, "total": _stats(totals, now) if totals else None}


def _stats(items, now) -> dict:
    to_accept = [accepted - created for created, accepted, _a in items if accepted]
    to_answer = [answered - created for created, _c, answered in items if answered]
    settled = [i for i in items if i[2] is not None or now - i[0] >= ANSWER_TARGET]
    within = [i for i in settled if i[2] is not None and i[2] - i[0] <= ANSWER_TARGET]
    return {
        "count": len(items),
        "median_accept_minutes": _minutes(median(to_accept)) if to_accept else None,
        "median_answer_minutes": _minutes(median(to_answer)) if to_answer else None,
        "share_within_3h": round(100 * len(within) / len(settled)) if settled else None,
    }
