"""Read queries of the consultations app (public search, doctor's day, coordinator, ARS stats)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.permissions import ARS
from consultations.models import (
    ACTIVE_BOOKING_STATUSES,
    Booking,
    BookingStatus,
    Mission,
    MissionStatus,
    PriorityZone,
    Site,
    Slot,
    Volunteer,
)
from gomask.cleaning import parse_id
from gomask.clock import PARIS, local_date
from gomask.errors import NotAllowed, NotFound
from territories.geo import haversine_km
from territories.models import Commune, Departement

SEARCH_HORIZON_DAYS = 90
SORT_DISTANCE = "distance"
SORT_SOONEST = "soonest"


@dataclass
class SiteResult:
    site: Site
    distance_km: float | None = None
    next_slots: list[Slot] = field(default_factory=list)
    free_count: int = 0

    @property
    def next_slot(self) -> Slot | None:
        return self.next_slots[0] if self.next_slots else None


def free_slots(*, now: datetime | None = None):
    """Future slots of published missions with no active booking."""
    now = now or timezone.now()
    active = Booking.objects.filter(slot=OuterRef("pk"), status__in=ACTIVE_BOOKING_STATUSES)
    return (
        Slot.objects.filter(
            mission__status=MissionStatus.PUBLISHED,
            mission__site__is_active=True,
            starts_at__gt=now,
            starts_at__lt=now + timedelta(days=SEARCH_HORIZON_DAYS),
        )
        .exclude(Exists(active))
        .select_related("mission__site", "mission__volunteer__professional")
        .order_by("starts_at", "pk")
    )


def public_sites():
    return Site.objects.filter(is_active=True, zone__is_active=True).select_related(
        "commune__departement", "zone__epci"
    )


def _with_slots(sites: list[Site], *, per_site: int, now: datetime | None) -> list[SiteResult]:
    results = {site.pk: SiteResult(site=site) for site in sites}
    counts = (
        free_slots(now=now)
        .filter(mission__site__in=list(results))
        .values("mission__site")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in counts:
        results[row["mission__site"]].free_count = row["n"]
    for site_id, result in results.items():
        if result.free_count:
            result.next_slots = list(free_slots(now=now).filter(mission__site_id=site_id)[:per_site])
    return list(results.values())


def search_sites(
    *, commune: Commune, sort: str = SORT_DISTANCE, per_site: int = 3, now: datetime | None = None
) -> list[SiteResult]:
    """Every public site with its next free slots: nearest to the commune first, or the soonest
    free slot first (sites without a free slot last, nearest first)."""
    results = _with_slots(list(public_sites()), per_site=per_site, now=now)
    for result in results:
        result.distance_km = haversine_km(
            commune.latitude, commune.longitude, result.site.latitude, result.site.longitude
        )
    if sort == SORT_SOONEST:
        results.sort(
            key=lambda r: (r.next_slot is None, r.next_slot.starts_at if r.next_slot else now, r.distance_km)
        )
    else:
        results.sort(key=lambda r: (r.distance_km, r.site.name))
    return results


def sites_of_departement(*, code: str, per_site: int = 3, now: datetime | None = None):
    departement = Departement.objects.filter(code=code).first()
    if departement is None:
        raise NotFound(code="departement_not_found")
    sites = list(public_sites().filter(commune__departement=departement).order_by("name"))
    return departement, _with_slots(sites, per_site=per_site, now=now)


def departements_with_sites():
    return Departement.objects.filter(pk__in=public_sites().values("commune__departement")).order_by("code")


def public_site(site_id: int) -> Site:
    site = public_sites().filter(pk=site_id).first()
    if site is None:
        raise NotFound(code="site_not_found")
    return site


def site_free_slots(*, site: Site, now: datetime | None = None):
    return free_slots(now=now).filter(mission__site=site).select_related("mission__site__zone__epci")


def site_doctors(*, site: Site, now: datetime | None = None) -> list:
    """The volunteer doctors coming to the site (published missions not over yet), by name."""
    today = local_date(now or timezone.now())
    return list(
        {
            mission.volunteer.professional.pk: mission.volunteer.professional
            for mission in Mission.objects.filter(
                site=site, status=MissionStatus.PUBLISHED, end_date__gte=today
            )
            .select_related("volunteer__professional")
            .order_by("start_date", "pk")
        }.values()
    )


def bookable_slot(slot_id: int, *, now: datetime | None = None) -> Slot | None:
    return free_slots(now=now).filter(pk=slot_id).select_related("mission__site__commune").first()


def slot_for_booking_page(slot_id: int) -> Slot | None:
    """The slot with its site, and `is_taken`: someone holds it already (a stale tab, a link
    passed on): the page says so before anyone fills the form."""
    return (
        Slot.objects.select_related("mission__site__commune", "mission__site__zone__epci")
        .annotate(
            is_taken=Exists(Booking.objects.filter(slot=OuterRef("pk"), status__in=ACTIVE_BOOKING_STATUSES))
        )
        .filter(pk=slot_id)
        .first()
    )


def slots_by_day(slots) -> list[tuple[date, list[Slot]]]:
    days: dict[date, list[Slot]] = defaultdict(list)
    for slot in slots:
        days[local_date(slot.starts_at)].append(slot)
    return sorted(days.items())


# --- Doctors -------------------------------------------------------------------------


def doctor_day(*, user, day: date):
    """The bookings of the doctor's own missions on that day (Europe/Paris)."""
    start = datetime.combine(day, time.min, tzinfo=PARIS)
    return (
        Booking.objects.filter(
            slot__mission__volunteer__professional__user=user,
            slot__starts_at__gte=start,
            slot__starts_at__lt=start + timedelta(days=1),
        )
        .exclude(status=BookingStatus.CANCELLED)
        .select_related("slot__mission__site", "commune")
        .order_by("slot__starts_at")
    )


def missions_of_volunteer(volunteer: Volunteer):
    return volunteer.missions.select_related("site__commune").order_by("-start_date")


# --- Managers (ARS staff of the region, site coordinators) --------------------------------
# One rule for "a site for its manager": `managed_sites` lists them, `site_for_manager` is the gate
# every page and service asks (same shape as `pharmacies.selectors.pharmacy_for_member` and
# `referrals.selectors.declarable_site`). A site's patients are for its coordinators only:
# `site_for_coordinator`.


def is_manager(user) -> bool:
    return bool(
        user.is_authenticated and user.is_approved and (user.role in ARS or user.coordinated_sites.exists())
    )


def managed_sites(user):
    """The sites `user` manages: all for administrators, their region's and the sites they
    coordinate for ARS staff, the sites they coordinate for a professional; none for anyone else
    (or an account not approved)."""
    sites = Site.objects.select_related("zone__epci", "commune")
    if not (user.is_authenticated and user.is_approved):
        return sites.none()
    if user.role == Role.ADMIN:
        return sites
    if user.role == Role.ARS_STAFF:
        return sites.filter(Q(zone__region_id=user.region_id) | Q(coordinators=user)).distinct()
    if user.role == Role.PROFESSIONAL:
        return sites.filter(coordinators=user)
    return sites.none()


def _site_with(site_id, **flags) -> Site:
    """The site `site_id` annotated with the gate's `flags` (Exists), or 404."""
    site_pk = parse_id(site_id)
    site = (
        Site.objects.select_related("zone__epci", "commune").annotate(**flags).filter(pk=site_pk).first()
        if site_pk is not None
        else None
    )
    if site is None:
        raise NotFound(_("Ce lieu de consultation n'existe pas."), code="site_not_found")
    return site


def site_for_manager(user, site_id) -> Site:
    """The site `site_id` if `user` manages it (see `managed_sites`); 404 for an unknown site,
    403 `not_site_manager` for someone else's."""
    site = _site_with(site_id, is_managed=Exists(managed_sites(user).filter(pk=OuterRef("pk"))))
    if not site.is_managed:
        raise NotAllowed(_("Vous ne coordonnez pas ce lieu de consultation."), code="not_site_manager")
    return site


def site_for_coordinator(user, site_id) -> Site:
    """The site `site_id` if `user` is one of its coordinators (its patients' data); 404 for an
    unknown site, 403 `not_site_coordinator` for anyone else (ARS staff included)."""
    coordinates = Site.coordinators.through.objects.filter(
        site_id=OuterRef("pk"), user_id=getattr(user, "pk", None)
    )
    site = _site_with(site_id, is_coordinator=Exists(coordinates))
    if not (site.is_coordinator and user.is_authenticated and user.is_approved):
        raise NotAllowed(code="not_site_coordinator")
    return site


def managed_missions(user):
    return (
        Mission.objects.filter(site__in=managed_sites(user))
        .select_related("site", "volunteer__professional")
        .annotate(
            slot_count=Count("slots", distinct=True),
            booked_count=Count(
                "slots__bookings",
                filter=Q(slots__bookings__status__in=ACTIVE_BOOKING_STATUSES),
                distinct=True,
            ),
        )
        .order_by("-start_date", "pk")
    )


def managed_mission(user, mission_id: int) -> Mission:
    mission = managed_missions(user).filter(pk=mission_id).first()
    if mission is None:
        raise NotFound(code="mission_not_found")
    return mission


def volunteers_for_manager(user):
    """Volunteers who accept at least one zone or site the manager looks after."""
    sites = managed_sites(user)
    zones = PriorityZone.objects.filter(sites__in=sites)
    return (
        Volunteer.objects.filter(Q(sites__in=sites) | Q(zones__in=zones))
        .distinct()
        .select_related("professional__practice_commune")
        .prefetch_related("availabilities", "zones__epci", "sites")
        .order_by("professional__last_name", "professional__first_name")
    )


def site_agenda(*, user, site_id: int, day: date):
    """Coordinators of the site only (ARS staff see aggregated statistics, not patients)."""
    site = site_for_coordinator(user, site_id)
    start = datetime.combine(day, time.min, tzinfo=PARIS)
    bookings = (
        Booking.objects.filter(
            slot__mission__site=site,
            slot__starts_at__gte=start,
            slot__starts_at__lt=start + timedelta(days=1),
        )
        .exclude(status=BookingStatus.CANCELLED)
        .select_related("slot__mission__volunteer__professional", "commune")
        .order_by("slot__starts_at")
    )
    return site, bookings


def zone_statistics(user):
    """Aggregated figures per priority zone of the user's region; no patient data."""
    if user.role == Role.ADMIN:
        zones = PriorityZone.objects.all()
    else:
        zones = PriorityZone.objects.filter(region_id=user.region_id)
    active = Q(sites__missions__slots__bookings__status__in=ACTIVE_BOOKING_STATUSES)
    prefix = "sites__missions__slots__bookings__"
    return (
        zones.select_related("epci")
        .annotate(
            site_count=Count("sites", distinct=True),
            mission_count=Count(
                "sites__missions",
                filter=~Q(sites__missions__status=MissionStatus.CANCELLED),
                distinct=True,
            ),
            slot_count=Count(
                "sites__missions__slots",
                filter=Q(sites__missions__status=MissionStatus.PUBLISHED),
                distinct=True,
            ),
            booking_count=Count(prefix + "pk", filter=active, distinct=True),
            without_doctor_count=Count(
                prefix + "pk", filter=active & Q(**{prefix + "has_regular_doctor": False}), distinct=True
            ),
            attended_count=Count(
                prefix + "pk", filter=Q(**{prefix + "status": BookingStatus.ATTENDED}), distinct=True
            ),
            no_show_count=Count(
                prefix + "pk", filter=Q(**{prefix + "status": BookingStatus.NO_SHOW}), distinct=True
            ),
            new_regular_doctor_count=Count(
                prefix + "pk", filter=Q(**{prefix + "became_regular_doctor": True}), distinct=True
            ),
        )
        .order_by("epci__name")
    )


def can_view_booking(user, booking: Booking) -> bool:
    """Patient data: the slot's doctor and the site's coordinators only."""
    if not (user.is_authenticated and user.is_approved):
        return False
    mission = booking.slot.mission
    if mission.volunteer.professional.user_id == user.pk:
        return True
    return mission.site.coordinators.filter(pk=user.pk).exists()
