"""Read queries of the referrals app: sites a person may edit or declare for, the nearest
sites accepting patients, a territory's orientation page."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import AccountStatus, Role, User
from distribution.models import CareSite, CareSiteKind
from gomask.cleaning import parse_id
from gomask.errors import NotAllowed, NotFound
from notifications.models import CoordinatorScope, CrisisBulletin
from pharmacies.selectors import _widening_search
from referrals.models import Referral, SiteState, SiteStatus
from territories.models import Commune, Departement

NEAREST_DEFAULT_LIMIT = 5
NEAREST_MAX_LIMIT = 50
NEAREST_RADIUS_KM = 100
# First box of the widening search: care sites are sparser than officines (30,000 nationally,
# one per ~18 km²), so a 15 km box usually holds the nearest five at the first query.
NEAREST_INITIAL_KM = 15
TRACK_COVID = "covid"
TRACK_NON_COVID = "non_covid"
TRACKS = (TRACK_COVID, TRACK_NON_COVID)
STAFF_ROLES = (Role.ARS_STAFF, Role.CPTS_COORDINATOR, Role.ADMIN)


def is_stale(declared_at: datetime | None, *, now: datetime | None = None) -> bool:
    """A status older than REFERRAL_STALE_HOURS (or none) is shown as such."""
    now = now or timezone.now()
    return declared_at is None or now - declared_at > timedelta(hours=settings.REFERRAL_STALE_HOURS)


def coordinator_scope(user) -> CoordinatorScope | None:
    return CoordinatorScope.objects.filter(user=user).first()


def _territory_filter(scope: CoordinatorScope | None) -> Q:
    if scope is None:
        return Q(pk__in=[])
    epcis = list(scope.epcis.values_list("pk", flat=True))
    communes = list(scope.communes.values_list("pk", flat=True))
    return Q(commune__epci__in=epcis) | Q(commune__in=communes)


def editable_sites(user) -> QuerySet[CareSite]:
    """Sites `user` may create, edit and declare for as staff: ARS staff their region, a CPTS
    coordinator their territory (within their region), an administrator every site."""
    sites = CareSite.objects.select_related("commune", "status", "manager")
    if not (user.is_authenticated and user.is_approved):
        return sites.none()
    if user.role == Role.ADMIN:
        return sites
    if user.role == Role.ARS_STAFF:
        return sites.filter(region_id=user.region_id)
    if user.role == Role.CPTS_COORDINATOR:
        return sites.filter(_territory_filter(coordinator_scope(user)), region_id=user.region_id)
    return sites.none()


def may_edit_commune(user, commune: Commune) -> bool:
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.ARS_STAFF:
        return commune.region_id == user.region_id
    if user.role == Role.CPTS_COORDINATOR:
        scope = coordinator_scope(user)
        if scope is None or commune.region_id != user.region_id:
            return False
        return scope.communes.filter(pk=commune.pk).exists() or (
            commune.epci_id is not None and scope.epcis.filter(pk=commune.epci_id).exists()
        )
    return False


def editable_site(user, site_id) -> CareSite:
    site = editable_sites(user).filter(pk=parse_id(site_id)).first()
    if site is None:
        if CareSite.objects.filter(pk=parse_id(site_id)).exists():
            raise NotAllowed(_out_of_scope_message(), code="site_out_of_scope")
        raise NotFound(code="care_site_not_found")
    return site


def _out_of_scope_message():
    from django.utils.translation import gettext as _

    return _("Ce site de soins est hors de votre périmètre.")


def managed_sites(user) -> QuerySet[CareSite]:
    if not (user.is_authenticated and user.is_approved):
        return CareSite.objects.none()
    return CareSite.objects.select_related("commune", "status").filter(manager=user, is_active=True)


def declarable_site(user, site_id) -> CareSite:
    """A site whose status `user` may declare: its manager, or staff whose scope holds it."""
    site_pk = parse_id(site_id)
    site = (
        CareSite.objects.select_related("commune", "status")
        .filter(pk=site_pk, is_active=True)
        .filter(Q(manager=user) | Q(pk__in=editable_sites(user).values("pk")))
        .first()
        if user.is_authenticated and user.is_approved
        else None
    )
    if site is None:
        if CareSite.objects.filter(pk=site_pk).exists():
            raise NotAllowed(_out_of_scope_message(), code="site_out_of_scope")
        raise NotFound(code="care_site_not_found")
    return site


def status_history(site: CareSite, limit: int = 20):
    return site.status_reports.select_related("declared_by")[:limit]


@dataclass(frozen=True)
class SiteFilters:
    kind: str = ""
    track: str = ""
    open_now: bool = False


_ROW_COLUMNS = {
    "site_id": "pk",
    "name": "name",
    "kind": "kind",
    "address": "address",
    "commune": "commune__name",
    "commune_code": "commune_id",
    "phone": "phone",
    "opening_hours": "opening_hours",
    "access_conditions": "access_conditions",
    "latitude": "latitude",
    "longitude": "longitude",
    "state": "status__state",
    "capacity_left": "status__capacity_left",
    "covid_track": "status__covid_track",
    "non_covid_track": "status__non_covid_track",
    "declared_at": "status__declared_at",
}


def accepting_sites(filters: SiteFilters = SiteFilters()) -> QuerySet[CareSite]:
    """Active sites whose last status accepts referrals and is not "closed" (saturated ones
    only without the "open now" filter)."""
    sites = CareSite.objects.filter(
        is_active=True, latitude__isnull=False, status__accepts_referrals=True
    ).exclude(status__state=SiteState.CLOSED)
    if filters.kind:
        sites = sites.filter(kind=filters.kind)
    if filters.track == TRACK_COVID:
        sites = sites.filter(status__covid_track=True)
    elif filters.track == TRACK_NON_COVID:
        sites = sites.filter(status__non_covid_track=True)
    if filters.open_now:
        sites = sites.filter(status__state=SiteState.OPEN)
    return sites


def accepting_site_row(site_id) -> dict | None:
    """One site accepting referrals now, as a row of the search; None if it does not."""
    values = accepting_sites().filter(pk=parse_id(site_id)).values_list(*_ROW_COLUMNS.values()).first()
    return decorate(dict(zip(_ROW_COLUMNS.keys(), values, strict=True))) if values else None


def decorate(row: dict, *, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    row["kind_label"] = CareSiteKind(row["kind"]).label
    row["state_label"] = SiteState(row["state"]).label if row.get("state") else ""
    row["stale"] = is_stale(row.get("declared_at"), now=now)
    return row


def nearest_accepting_sites(
    *,
    latitude: float,
    longitude: float,
    filters: SiteFilters = SiteFilters(),
    limit: int = NEAREST_DEFAULT_LIMIT,
    radius_km: float = NEAREST_RADIUS_KM,
    now: datetime | None = None,
) -> list[dict]:
    """The nearest sites accepting referrals now, nearest first, with their status and its age.

    The bounding box is served by the care sites' (latitude, longitude) index, widened until
    `limit` sites are found or `radius_km` is reached; distances are exact.
    """
    return _nearest(
        accepting_sites(filters),
        latitude=latitude,
        longitude=longitude,
        limit=limit,
        radius_km=radius_km,
        now=now,
    )


def _nearest(sites, *, latitude, longitude, limit, radius_km, now) -> list[dict]:
    def fetch(box):
        min_lat, max_lat, min_lng, max_lng = box
        rows = sites.filter(
            latitude__range=(min_lat, max_lat), longitude__range=(min_lng, max_lng)
        ).values_list(*_ROW_COLUMNS.values())
        return [dict(zip(_ROW_COLUMNS.keys(), values, strict=True)) for values in rows]

    rows = _widening_search(
        fetch,
        latitude=latitude,
        longitude=longitude,
        radius_km=radius_km,
        limit=limit,
        id_key="site_id",
        initial_km=NEAREST_INITIAL_KM,
    )
    return [decorate(row, now=now) for row in rows]


def silent_sites(*, now: datetime | None = None) -> QuerySet[SiteStatus]:
    """Statuses of active sites not declared for REFERRAL_SILENT_HOURS and not yet flagged."""
    now = now or timezone.now()
    limit = now - timedelta(hours=settings.REFERRAL_SILENT_HOURS)
    return SiteStatus.objects.select_related("site__commune").filter(
        site__is_active=True, declared_at__lt=limit, silence_flagged_at__isnull=True
    )


def coordinators_of(site: CareSite) -> QuerySet[User]:
    """The active CPTS coordinators whose territory holds the site, and the region's ARS staff."""
    commune = site.commune
    holds = Q(communes=commune)
    if commune.epci_id:
        holds |= Q(epcis=commune.epci_id)
    scopes = CoordinatorScope.objects.filter(holds)
    return (
        User.objects.filter(status=AccountStatus.ACTIVE, is_active=True)
        .filter(
            Q(role=Role.ARS_STAFF, region_id=site.region_id)
            | Q(role=Role.CPTS_COORDINATOR, region_id=site.region_id, cpts_scope__in=scopes)
        )
        .distinct()
        .order_by("pk")
    )


def referral_for_sender(user, referral_id) -> Referral:
    referral = (
        Referral.objects.select_related("site__commune").filter(pk=parse_id(referral_id), sender=user).first()
    )
    if referral is None:
        raise NotFound(code="referral_not_found")
    return referral


def sent_referrals(user, limit: int = 20):
    return Referral.objects.select_related("site__commune").filter(sender=user)[:limit]


# --- Public orientation page --------------------------------------------------------------


@dataclass
class Territory:
    label: str
    code: str
    departement: Departement
    commune: Commune | None


def territory(code: str) -> Territory:
    """A département ("32", "2A", "974") or a commune (INSEE code "32344") from the URL."""
    from territories.selectors import commune_by_code

    code = (code or "").strip().upper()
    if len(code) == 5:
        commune = commune_by_code(code)
        if commune is None:
            raise NotFound(code="territory_not_found")
        return Territory(
            label=f"{commune.name} ({commune.departement_id})",
            code=code,
            departement=commune.departement,
            commune=commune,
        )
    departement = Departement.objects.filter(pk=code).first() if code.isascii() and code.isalnum() else None
    if departement is None:
        raise NotFound(code="territory_not_found")
    return Territory(label=str(departement), code=code, departement=departement, commune=None)


def open_sites_of(place: Territory, *, now: datetime | None = None, limit: int = 30) -> list[dict]:
    """Sites open today in the territory (nearest to the commune first, when one is given)."""
    now = now or timezone.now()
    sites = CareSite.objects.filter(is_active=True, status__state=SiteState.OPEN)
    if place.commune is not None:
        return _nearest(
            sites.filter(latitude__isnull=False),
            latitude=place.commune.latitude,
            longitude=place.commune.longitude,
            limit=limit,
            radius_km=50,
            now=now,
        )
    rows = (
        sites.filter(commune__departement=place.departement)
        .order_by("commune__name", "name")
        .values_list(*_ROW_COLUMNS.values())[:limit]
    )
    return [decorate(dict(zip(_ROW_COLUMNS.keys(), values, strict=True)), now=now) for values in rows]


def public_bulletins_of_region(region_code: str, limit: int = 3) -> QuerySet[CrisisBulletin]:
    return CrisisBulletin.objects.filter(is_public=True, region_id=region_code).order_by(
        "-published_at", "-id"
    )[:limit]
