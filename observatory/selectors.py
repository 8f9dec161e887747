"""Reads of the observatory: the rows of a region (or a CPTS territory) at commune or EPCI level."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np
from django.core.cache import cache
from django.db.models import F, FloatField, Q, Sum
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from consultations.models import PriorityZone
from consultations.selectors import zone_statistics
from notifications.models import CoordinatorScope
from observatory.models import AccessRun, CommuneAccess, DreesApl, DreesImport, EpciAccess
from professionals.models import Profession
from territories.models import Departement, Region

COMMUNE, EPCI = "commune", "epci"
LEVELS = {COMMUNE: _("Communes"), EPCI: _("Intercommunalités (EPCI)")}
GENERAL_PRACTICE = "generaliste"
PROFESSIONS = {GENERAL_PRACTICE: _("Médecin généraliste"), **dict(Profession.choices)}
ACCESSIBILITY, DISTANCE, DENSITY, DREES = "accessibilite", "distance", "densite", "apl_drees"
INDICATORS = {
    ACCESSIBILITY: _("Accessibilité aux généralistes (2SFCA)"),
    DISTANCE: _("Distance au généraliste le plus proche"),
    DENSITY: _("Professionnels pour 10 000 habitants"),
    DREES: _("APL de la DREES"),
}
# Larger is better for these indicators; for the distance, smaller is better.
HIGHER_IS_BETTER = {ACCESSIBILITY: True, DISTANCE: False, DENSITY: True, DREES: True}
CLASSES = 5


@dataclass(frozen=True)
class Territory:
    """What a person may see: a region, possibly narrowed to a CPTS territory."""

    region: Region
    epcis: frozenset[str] | None = None  # None: the whole region
    communes: frozenset[str] | None = None

    @property
    def is_narrowed(self) -> bool:
        return self.epcis is not None


@dataclass(frozen=True)
class ObservatoryFilters:
    territory: Territory
    level: str = EPCI
    departement: Departement | None = None
    profession: str = GENERAL_PRACTICE
    indicator: str = ACCESSIBILITY

    def as_query(self) -> str:
        from urllib.parse import urlencode

        params = {"region": self.territory.region.pk, "level": self.level, "profession": self.profession}
        params["indicator"] = self.indicator
        if self.departement:
            params["departement"] = self.departement.pk
        return urlencode(params)


def cpts_territory(user, region: Region) -> Territory:
    """A CPTS coordinator's territory (its EPCIs and communes); without one, nothing."""
    scope = CoordinatorScope.objects.filter(user=user).first()
    if scope is None:
        return Territory(region=region, epcis=frozenset(), communes=frozenset())
    return Territory(
        region=region,
        epcis=frozenset(scope.epcis.values_list("pk", flat=True)),
        communes=frozenset(scope.communes.values_list("pk", flat=True)),
    )


def latest_run() -> AccessRun | None:
    return AccessRun.objects.order_by("-finished_at").first()


def latest_drees_import() -> DreesImport | None:
    return DreesImport.objects.order_by("-year", "-imported_at").first()


def _density(count: int, population: int) -> float | None:
    return round(count * 10_000 / population, 2) if population else None


def _profession_count(row: dict, profession: str) -> int:
    if profession == GENERAL_PRACTICE:
        return row["general_practitioners"]
    return int((row["professionals"] or {}).get(profession, 0))


def _commune_queryset(filters: ObservatoryFilters):
    territory = filters.territory
    queryset = CommuneAccess.objects.filter(region=territory.region)
    if territory.is_narrowed:
        queryset = queryset.filter(Q(epci_id__in=territory.epcis) | Q(commune_id__in=territory.communes))
    if filters.departement:
        queryset = queryset.filter(departement=filters.departement)
    return queryset


def _epci_queryset(filters: ObservatoryFilters):
    territory = filters.territory
    queryset = EpciAccess.objects.filter(region=territory.region)
    if territory.is_narrowed or filters.departement:
        queryset = queryset.filter(
            epci_id__in=_commune_queryset(filters).exclude(epci__isnull=True).values("epci_id")
        )
    return queryset


def _priority_epcis(region: Region) -> set[str]:
    return set(PriorityZone.objects.filter(region=region, is_active=True).values_list("epci_id", flat=True))


def area_rows(filters: ObservatoryFilters, *, every_profession: bool = False) -> list[dict]:
    """Every commune or EPCI of the filters, worst accessibility first, with its figures (and the
    density of every profession for the CSV)."""
    rows = _area_rows(filters, every_profession=every_profession)
    _mark_priority(rows, filters)
    return rows


def _mark_priority(rows: list[dict], filters: ObservatoryFilters) -> None:
    priority = _priority_epcis(filters.territory.region)
    for row in rows:
        row["priority"] = row["epci_id"] in priority


# The page's rows and legend only change with a computation run, a DREES import or the filters:
# kept in the cache under those (the priority flags, edited by hand, are set after reading it).
AREA_CACHE_SECONDS = 6 * 3600


def _cache_key(filters: ObservatoryFilters, kind: str) -> str:
    run, drees = latest_run(), latest_drees_import()
    territory = filters.territory
    scope = ""
    if territory.is_narrowed:
        scope = hashlib.sha256(
            (",".join(sorted(territory.epcis)) + "|" + ",".join(sorted(territory.communes))).encode()
        ).hexdigest()[:16]
    parts = [
        "observatory",
        "v1",
        kind,
        str(run.pk if run else 0),
        str(drees.pk if drees else 0),
        territory.region.pk,
        scope,
        filters.level,
        filters.departement.pk if filters.departement else "",
        filters.profession,
        filters.indicator,
    ]
    return ":".join(parts)


def classified_rows(filters: ObservatoryFilters) -> tuple[list[dict], list[dict]]:
    """The rows of the page and the map's legend (classes by quintile), cached per run."""
    key = _cache_key(filters, "rows")
    cached = cache.get(key)
    if cached is None:
        rows = _area_rows(filters)
        legend = classify(rows, filters.indicator)
        cached = (rows, legend)
        cache.set(key, cached, AREA_CACHE_SECONDS)
    rows, legend = cached
    _mark_priority(rows, filters)
    return rows, legend


def warm_region_pages() -> int:
    """Fill the cache of every region's default page, at both levels, right after a run: the
    first ARS agent of the morning then reads cached rows (a region at commune level costs about
    a second to build cold). CPTS territories and other filters still fill on first use."""
    warmed = 0
    for region in Region.objects.order_by("pk"):
        for level in (EPCI, COMMUNE):
            map_json(ObservatoryFilters(territory=Territory(region=region), level=level))
            warmed += 1
    return warmed


def map_json(filters: ObservatoryFilters) -> bytes:
    """The map's points as compact JSON, cached per run: [code, name, lat, lng, population,
    value, class] per territory."""
    key = _cache_key(filters, "map")
    body = cache.get(key)
    if body is None:
        rows, _legend = classified_rows(filters)
        value = INDICATOR_KEYS[filters.indicator]
        points = [
            [r["code"], r["name"], r["latitude"], r["longitude"], r["population"], r[value], r["class"]]
            for r in rows
        ]
        body = json.dumps(points, separators=(",", ":"), ensure_ascii=False).encode()
        cache.set(key, body, AREA_CACHE_SECONDS)
    return body


def _area_rows(filters: ObservatoryFilters, *, every_profession: bool = False) -> list[dict]:
    drees = latest_drees_import()
    if filters.level == COMMUNE:
        raw = _commune_queryset(filters).values(
            "population",
            "professionals",
            "general_practitioners",
            "nearest_gp_km",
            "accessibility",
            "epci_id",
            code=F("commune_id"),
            name=F("commune__name"),
            latitude=F("commune__latitude"),
            longitude=F("commune__longitude"),
        )
        apl = {}
        if drees:
            apl = dict(
                DreesApl.objects.filter(
                    year=drees.year, commune__in=_commune_queryset(filters).values("commune_id")
                ).values_list("commune_id", "value")
            )
    else:
        raw = _epci_queryset(filters).values(
            "population",
            "professionals",
            "general_practitioners",
            "nearest_gp_km",
            "accessibility",
            "latitude",
            "longitude",
            code=F("epci_id"),
            name=F("epci__name"),
        )
        apl = {}
        if drees:
            # Each EPCI's APL: the mean over its communes weighted by their population.
            weighted = (
                DreesApl.objects.filter(
                    year=drees.year, commune__epci__in=_epci_queryset(filters).values("epci_id")
                )
                .values("commune__epci_id")
                .annotate(
                    weighted=Sum(F("value") * Cast("commune__population", FloatField())),
                    population=Sum("commune__population"),
                )
                .order_by()
            )
            apl = {
                row["commune__epci_id"]: row["weighted"] / row["population"]
                for row in weighted
                if row["population"]
            }
    rows = []
    for row in raw:
        population = row["population"]
        count = _profession_count(row, filters.profession)
        value = apl.get(row["code"])
        rows.append(
            {
                "code": row["code"],
                "name": row["name"],
                "population": population,
                "general_practitioners": row["general_practitioners"],
                "gp_density": _density(row["general_practitioners"], population),
                "count": count,
                "density": _density(count, population),
                "densities": {
                    profession: _density(_profession_count(row, profession), population)
                    for profession in PROFESSIONS
                }
                if every_profession
                else None,
                "nearest_gp_km": None if row["nearest_gp_km"] is None else round(row["nearest_gp_km"], 1),
                "accessibility": round(row["accessibility"], 1),
                "drees_apl": None if value is None else round(value, 2),
                "epci_id": row["code"] if filters.level == EPCI else row["epci_id"],
                "latitude": row["latitude"],
                "longitude": row["longitude"],
            }
        )
    rows.sort(key=lambda r: (r["accessibility"], r["name"], r["code"]))
    return rows


INDICATOR_KEYS = {
    ACCESSIBILITY: "accessibility",
    DISTANCE: "nearest_gp_km",
    DENSITY: "density",
    DREES: "drees_apl",
}


def classify(rows: list[dict], indicator: str) -> list[dict]:
    """Five classes by quintile of the indicator over the rows (0: worst access, 4: best); the
    legend's bounds. Sets row["class"] (None without a value)."""
    key = INDICATOR_KEYS[indicator]
    values = np.array([row[key] for row in rows if row[key] is not None], dtype=np.float64)
    if not len(values):
        for row in rows:
            row["class"] = None
        return []
    breaks = np.unique(np.quantile(values, np.linspace(0, 1, CLASSES + 1)))
    if len(breaks) == 1:
        breaks = np.array([breaks[0], breaks[0]])
    inner = breaks[1:-1]
    higher_is_better = HIGHER_IS_BETTER[indicator]
    for row in rows:
        value = row[key]
        if value is None:
            row["class"] = None
            continue
        rank = int(np.searchsorted(inner, value, side="right"))  # 0 .. len(inner)
        row["class"] = rank if higher_is_better else len(inner) - rank
    legend = []
    for i in range(len(breaks) - 1):
        rank = i if higher_is_better else len(breaks) - 2 - i
        legend.append(
            {"class": rank, "low": round(float(breaks[i]), 2), "high": round(float(breaks[i + 1]), 2)}
        )
    legend.sort(key=lambda item: item["class"])
    return legend


def solidarity_zones(user, territory: Territory):
    """Priority zones of the territory with their solidarity consultations (no patient data)."""
    zones = zone_statistics(user).filter(region=territory.region)
    if territory.is_narrowed:
        zones = zones.filter(epci_id__in=territory.epcis)
    return list(zones)


def departements(region: Region):
    return Departement.objects.filter(region=region).order_by("code")
