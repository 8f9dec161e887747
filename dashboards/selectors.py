"""Reads of the regional dashboards, one function per panel, all scoped by `DashboardFilters`.

Panels over history read the roll-ups (fast at national scale: a region's four weeks are a
few thousand rows); panels about "now" (stock on hand, consultations, care-site deliveries)
read small live tables. Each row is a plain dict, so the HTML table, the chart data, the
CSV export and the API all show the same numbers.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from consultations.models import (
    ACTIVE_BOOKING_STATUSES,
    BookingStatus,
    MissionStatus,
)
from dashboards.models import DispensationWeek, ProfessionalCensus, RollupState
from dashboards.services import CENSUS, WEEKLY, split_weeks, week_bounds, week_start_of
from distribution.models import CareSiteKind, Dispensation, Shipment
from gomask.db_routing import reporting_alias, reporting_connection
from pharmacies.selectors import stock_band
from professionals.models import Profession
from territories.models import Departement, Epci, Region


def _reporting(model):
    """Rows for a dashboard or an export: read from the replica when one is configured."""
    return model._default_manager.using(reporting_alias())


# "Current dispensation rate": the two whole weeks before the current one.
RATE_WEEKS = 2
# A pharmacy is "about to run out" below this many days of stock at its own rate.
ABOUT_TO_RUN_OUT_DAYS = 7
# Beyond this, days of cover read as "plus de 90 jours": the rate of two weeks says nothing
# precise about the next quarter.
COVER_SHOWN_UP_TO_DAYS = 90
DEFAULT_PERIOD_WEEKS = 4


@dataclass(frozen=True)
class DashboardFilters:
    region: object  # territories.Region
    departement: Departement | None
    epci: Epci | None
    start: date
    end: date
    product: object | None  # pharmacies.Product
    # What the panels of one page share (the served professionals' summary): computed once
    # per filters, i.e. once per request, never across requests.
    memo: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    @property
    def first_week(self) -> date:
        return week_start_of(self.start)

    @property
    def last_week(self) -> date:
        return week_start_of(self.end)

    @property
    def weeks(self) -> list[date]:
        weeks, week = [], self.first_week
        while week <= self.last_week:
            weeks.append(week)
            week += timedelta(days=7)
        return weeks

    @property
    def moment_range(self) -> tuple[datetime, datetime]:
        """[Monday of the first week, Monday after the last week) in Europe/Paris."""
        return week_bounds(self.first_week)[0], week_bounds(self.last_week)[1]

    def as_query(self) -> dict[str, str]:
        query = {"region": self.region.pk, "start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.departement:
            query["departement"] = self.departement.pk
        if self.epci:
            query["epci"] = self.epci.pk
        if self.product:
            query["product"] = self.product.code
        return query

    def sql_conditions(
        self, *, region="region_id", departement="departement_id", epci="epci_id", product="product_id"
    ) -> tuple[list[str], list]:
        """The filter as SQL conditions on the given columns (positional `%s`) and their
        parameters: the one place every raw query of the dashboards builds its WHERE from."""
        conditions, params = [f"{region} = %s"], [self.region.pk]
        for column, chosen in ((departement, self.departement), (epci, self.epci), (product, self.product)):
            if chosen:
                conditions.append(f"{column} = %s")
                params.append(chosen.pk)
        return conditions, params

    def epci_scope(self, column: str) -> tuple[str, list]:
        """The region's EPCIs a panel over whole EPCIs shows, as an SQL condition on `column`
        (an EPCI code): the chosen EPCI, else those with a commune in the chosen département,
        else all (the caller keeps to the region)."""
        if self.epci:
            return f"{column} = %s", [self.epci.pk]
        if self.departement:
            return (
                f"{column} IN (SELECT epci_id FROM territories_commune WHERE departement_id = %s)",
                [self.departement.pk],
            )
        return "1 = 1", []


def default_period(today: date) -> tuple[date, date]:
    """The last four weeks, the current one included."""
    return week_start_of(today) - timedelta(weeks=DEFAULT_PERIOD_WEEKS - 1), today


def _scoped(queryset, f: DashboardFilters, *, product: bool = True, territory: bool = True):
    queryset = queryset.filter(region=f.region)
    if territory and f.departement:
        queryset = queryset.filter(departement=f.departement)
    if territory and f.epci:
        queryset = queryset.filter(epci=f.epci)
    if product and f.product:
        queryset = queryset.filter(product=f.product)
    return queryset


def freshness(f: "DashboardFilters | None" = None) -> dict[str, datetime | None]:
    """When each roll-up was last refreshed ("données arrêtées au"); read once per page when
    given the page's filters."""
    if f is not None and "freshness" in f.memo:
        return f.memo["freshness"]
    states = dict(_reporting(RollupState).values_list("name", "refreshed_at"))
    result = {WEEKLY: states.get(WEEKLY), CENSUS: states.get(CENSUS)}
    if f is not None:
        f.memo["freshness"] = result
    return result


class Place(NamedTuple):
    """A département or an EPCI as the page names it."""

    code: str
    name: str


@dataclass(frozen=True)
class RegionReference:
    """The region's départements and EPCIs and the products, as the page's filters and panels
    name them: read once per page (they were read three times)."""

    departements: list[Place]  # by code
    epcis: list[Place]  # by name
    products: list  # pharmacies.Product, by name

    @property
    def departement_names(self) -> dict[str, str]:
        return dict(self.departements)

    @property
    def epci_names(self) -> dict[str, str]:
        return dict(self.epcis)

    @property
    def active_products(self) -> list:
        return [product for product in self.products if product.is_active]


def region_reference(f: DashboardFilters) -> RegionReference:
    if "reference" not in f.memo:
        from pharmacies.models import Product

        def places(model, order):
            rows = _reporting(model).filter(region=f.region).order_by(order).values_list("code", "name")
            return [Place(*row) for row in rows]

        f.memo["reference"] = RegionReference(
            departements=places(Departement, "code"),
            epcis=places(Epci, "name"),
            products=list(_reporting(Product).order_by("name")),
        )
    return f.memo["reference"]


def _aware(moment: datetime | None) -> datetime | None:
    """A timestamp read by raw SQL, made timezone-aware.

    The ORM converts what a cursor returns, raw SQL does not: psycopg gives aware datetimes,
    but Django's SQLite backend stores UTC without an offset and its cursor gives them back
    naive. Both mean UTC.
    """
    if moment is None or timezone.is_aware(moment):
        return moment
    return timezone.make_aware(moment, UTC)


def days_of_cover(quantity: int, daily_rate: float) -> int | None:
    """Whole days the quantity lasts at the daily rate (rounded down: day 3 is not covered by
    2.7 days of stock); None when nothing is dispensed."""
    if not daily_rate:
        return None
    return math.floor(max(quantity, 0) / daily_rate)


def default_region_code() -> str | None:
    """The region a dashboard opens on when none is asked for: the one with the most pharmacies
    (an administrator lands on figures, not on an empty overseas region)."""
    from pharmacies.models import Pharmacy

    busiest = (
        _reporting(Pharmacy)
        .filter(is_active=True)
        .values("region")
        .annotate(n=Count("id"))
        .order_by("-n", "region")
        .values_list("region", flat=True)
        .first()
    )
    return busiest or _reporting(Region).order_by("code").values_list("code", flat=True).first()


def _ratio(numerator, denominator, scale=100, digits=1):
    return round(numerator * scale / denominator, digits) if denominator else None


# --- Stock on hand ----------------------------------------------------------------------------


def _rate_weeks(today: date) -> tuple[date, date]:
    current = week_start_of(today)
    return current - timedelta(weeks=RATE_WEEKS), current - timedelta(weeks=1)


def stock_by_departement(f: DashboardFilters, *, today: date | None = None) -> list[dict]:
    """Stock on hand now per département and product, and days left at the recent rate."""
    today = today or timezone.localdate()
    conditions, params = f.sql_conditions(
        region="ph.region_id", departement="ph.departement_id", epci="co.epci_id", product="sl.product_id"
    )
    conditions.append("ph.is_active")
    with reporting_connection().cursor() as cursor:
        cursor.execute(
            f"""
            SELECT ph.departement_id, sl.product_id, sum(sl.on_hand), sum(sl.on_hand - sl.reserved),
                   count(*) FILTER (WHERE sl.on_hand - sl.reserved <= 0 OR sl.sold_out_at IS NOT NULL)
            FROM pharmacies_stocklevel sl
            JOIN pharmacies_pharmacy ph ON ph.id = sl.pharmacy_id
            JOIN territories_commune co ON co.insee_code = ph.commune_id
            WHERE {" AND ".join(conditions)}
            GROUP BY ph.departement_id, sl.product_id
            """,  # noqa: S608 (conditions are constants)
            params,
        )
        stock = {
            (dep, product): (on_hand, available) for dep, product, on_hand, available, _n in cursor.fetchall()
        }
    first, last = _rate_weeks(today)
    dispensed = {
        (row["departement"], row["product"]): row["quantity"]
        for row in _scoped(_reporting(DispensationWeek), f)
        .filter(week_start__range=(first, last))
        .values("departement", "product")
        .annotate(quantity=Sum("quantity"))
    }
    reference = region_reference(f)
    products = {product.pk: product for product in reference.products}
    names = reference.departement_names
    rows = []
    for departement, product in sorted(set(stock) | set(dispensed)):
        on_hand, available = stock.get((departement, product), (0, 0))
        daily = dispensed.get((departement, product), 0) / (7 * RATE_WEEKS)
        rows.append(
            {
                "departement": departement,
                "departement_name": names.get(departement, departement),
                "product": products[product].name,
                "on_hand": on_hand,
                "available": available,
                "daily_rate": round(daily, 1),
                "days_left": days_of_cover(on_hand, daily),
            }
        )
    return rows


BANDS = ("none", "low", "medium", "high")


class AtRiskRows(Sequence):
    """The pharmacy-products at risk, out of stock first, then the fewest days left, then the
    lowest stock: each row's dict is built when it is read. A region has thousands at risk in a
    shortage and the page shows fifty (the CSV reads them all)."""

    def __init__(self, records: list[tuple]):
        self._records = records

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self):
        return map(_at_risk_row, self._records)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [_at_risk_row(record) for record in self._records[index]]
        return _at_risk_row(self._records[index])


def _at_risk_row(record: tuple) -> dict:
    band, days_left, available, daily, pk, finess, name, commune, dep, lat, lng, product, on_hand, updated = (
        record
    )
    return {
        "pharmacy_id": pk,
        "finess": finess,
        "name": name,
        "commune": commune,
        "departement": dep,
        "latitude": lat,
        "longitude": lng,
        "product": product,
        "on_hand": on_hand,
        "available": available,
        "band": band,
        "daily_rate": round(daily, 1),
        "days_left": days_left,
        "updated_at": _aware(datetime.fromisoformat(updated)) if updated else None,
        "at_risk": True,
    }


def _at_risk_order(record: tuple):
    band, days_left, available, _daily, _pk, _finess, name, *_rest = record
    return (band != "none", days_left if days_left is not None else math.inf, available, name)


@dataclass(frozen=True)
class PharmacyStock:
    """Every active pharmacy of the filter with each product (or the chosen one), as the page
    shows them: how many pharmacy-products stand in each band, and the rows of those at risk."""

    bands: dict[str, int]
    at_risk: AtRiskRows


def pharmacy_stock(f: DashboardFilters, *, today: date | None = None) -> PharmacyStock:
    """The band of every pharmacy and product of the filter, and the rows (level, band, days left
    at its own rate) of those at risk.

    A pharmacy that never received a product counts as out of stock for it. Only the rows at
    risk are kept, as tuples, and a row's dict is built when read (`AtRiskRows`); the update
    time comes as text, parsed for those rows only: the driver's timestamp parsing of every
    row was a third of the page's Python time.
    """
    today = today or timezone.localdate()
    first, last = _rate_weeks(today)
    conditions, scope = f.sql_conditions(
        region="ph.region_id", departement="ph.departement_id", epci="co.epci_id", product="pr.id"
    )
    conditions += ["ph.is_active", "pr.is_active"]
    # The rate's subquery comes first in the statement, then the filter's conditions.
    params = [f.region.pk, first, last, *scope]
    with reporting_connection().cursor() as cursor:
        cursor.execute(
            f"""
            SELECT coalesce(sl.on_hand - sl.reserved, 0), sl.sold_out_at IS NOT NULL,
                   coalesce(rate.dispensed, 0), ph.id, ph.finess, ph.name, co.name, ph.departement_id,
                   ph.latitude, ph.longitude, pr.name, coalesce(sl.on_hand, 0),
                   CAST(sl.updated_at AS TEXT)
            FROM pharmacies_pharmacy ph
            JOIN territories_commune co ON co.insee_code = ph.commune_id
            CROSS JOIN pharmacies_product pr
            LEFT JOIN pharmacies_stocklevel sl ON sl.pharmacy_id = ph.id AND sl.product_id = pr.id
            LEFT JOIN (
                SELECT pharmacy_id, product_id, sum(dispensed) AS dispensed
                FROM dashboards_pharmacyweek
                WHERE region_id = %s AND week_start BETWEEN %s AND %s
                GROUP BY pharmacy_id, product_id
            ) rate ON rate.pharmacy_id = ph.id AND rate.product_id = pr.id
            WHERE {" AND ".join(conditions)}
            """,  # noqa: S608 (conditions are constants)
            params,
        )
        fetched = cursor.fetchall()
    bands = dict.fromkeys(BANDS, 0)
    records = []
    for available, sold_out, sold, *place in fetched:
        daily = sold / (7 * RATE_WEEKS)
        days_left = days_of_cover(available, daily)
        band = stock_band(available, sold_out)
        bands[band] += 1
        if band in ("none", "low") or (days_left is not None and days_left < ABOUT_TO_RUN_OUT_DAYS):
            records.append((band, days_left, available, daily, *place))
    records.sort(key=_at_risk_order)
    return PharmacyStock(bands=bands, at_risk=AtRiskRows(records))


def band_counts(stock: PharmacyStock) -> list[dict]:
    return [{"band": band, "count": stock.bands[band]} for band in BANDS]


def at_risk_pharmacies(stock: PharmacyStock) -> AtRiskRows:
    """Out of stock first, then the fewest days left, then the lowest stock."""
    return stock.at_risk


# --- Flows ------------------------------------------------------------------------------------


def weekly_flows(f: DashboardFilters) -> list[dict]:
    """Per week: arrivals at pharmacies by source, deliveries to centres and labs, dispensations."""
    from dashboards.models import PharmacyWeek

    pharmacy = {
        row["week_start"]: row
        for row in _scoped(_reporting(PharmacyWeek), f)
        .filter(week_start__range=(f.first_week, f.last_week))
        .values("week_start")
        .annotate(
            national=Sum("arrived_national"),
            regional=Sum("arrived_regional"),
            donation=Sum("arrived_donation"),
            dispensed=Sum("dispensed"),
        )
    }
    sites = _care_site_deliveries(f)
    rows = []
    for week in f.weeks:
        base = pharmacy.get(week, {})
        row = {
            "week_start": week,
            "national": base.get("national") or 0,
            "regional": base.get("regional") or 0,
            "donation": base.get("donation") or 0,
            "covid_centre": sites.get((week, CareSiteKind.COVID_CENTRE), 0),
            "lab": sites.get((week, CareSiteKind.LAB), 0),
            "dispensed": base.get("dispensed") or 0,
        }
        row["arrivals"] = (
            row["national"] + row["regional"] + row["donation"] + row["covid_centre"] + row["lab"]
        )
        rows.append(row)
    return rows


def _care_site_deliveries(f: DashboardFilters) -> dict[tuple[date, str], int]:
    """Masks received by COVID centres and labs from the regional stock (live: a small table)."""
    start, end = f.moment_range
    shipments = _reporting(Shipment).filter(
        region=f.region, care_site__isnull=False, received_at__gte=start, received_at__lt=end
    )
    if f.departement:
        shipments = shipments.filter(care_site__commune__departement=f.departement)
    if f.epci:
        shipments = shipments.filter(care_site__commune__epci=f.epci)
    if f.product:
        shipments = shipments.filter(product=f.product)
    totals: dict[tuple[date, str], int] = {}
    for delivered_at, kind, quantity in shipments.values_list("received_at", "care_site__kind", "quantity"):
        key = (week_start_of(delivered_at), kind)
        totals[key] = totals.get(key, 0) + quantity
    return totals


# --- Professions, quotas, coverage -------------------------------------------------------------

PROFESSION_LABELS = dict(Profession.choices)


def dispensations_by_profession(f: DashboardFilters) -> list[dict]:
    rows = list(
        _scoped(_reporting(DispensationWeek), f)
        .filter(week_start__range=(f.first_week, f.last_week))
        .values("profession")
        .annotate(quantity=Sum("quantity"), dispensations=Sum("dispensation_count"))
        .order_by("-quantity", "profession")
    )
    total = sum(row["quantity"] for row in rows)
    for row in rows:
        row["profession_label"] = str(PROFESSION_LABELS.get(row["profession"], row["profession"]))
        row["share"] = _ratio(row["quantity"], total)
    return rows


def _served_rows(f: DashboardFilters, *, month_columns: str, week_columns: str) -> tuple[str, list]:
    """The served professionals of the period as one UNION ALL: ServedMonth for the whole month
    buckets, ServedWeek for the weeks at the edges (a partition of the period's weeks, so sums
    and distinct counts over it equal those over ServedWeek alone). Portable SQL."""
    conditions, scope = f.sql_conditions()
    where = " AND ".join(conditions)
    refreshed_at = freshness(f)[WEEKLY]
    current_week = week_start_of(refreshed_at) if refreshed_at else None
    split = split_weeks(f.first_week, f.last_week, current_week=current_week)
    parts, params = [], []
    if split.months:
        parts.append(
            f"SELECT {month_columns} FROM dashboards_servedmonth WHERE {where} AND month BETWEEN %s AND %s"
        )
        params += [*scope, *split.months]
    for first, last in split.week_ranges:
        parts.append(
            f"SELECT {week_columns} FROM dashboards_servedweek WHERE {where} AND week_start BETWEEN %s AND %s"
        )
        params += [*scope, first, last]
    return " UNION ALL ".join(parts), params


def _fetch(sql: str, params: list) -> list[tuple]:
    with reporting_connection().cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# One scan of the period's served rows for the quota and coverage panels: first one row per
# professional and place (profession, EPCI), then per (profession, EPCI) the sums and two
# counts of professionals, each professional counted in the first of their rows with that
# profession (resp. that EPCI). Summed over the EPCIs, the first count is the number of
# distinct professionals of a profession; summed over the professions, the second is the
# number of distinct professionals of an EPCI: exactly the distinct counts of the rows, from
# one aggregation instead of three. Portable SQL (window functions: SQLite >= 3.25).
_SERVED_SUMMARY_SQL = """
SELECT profession, epci_id, sum(weeks), sum(quantity), sum(quota), sum(quota_used_up),
       sum(CASE WHEN by_profession = 1 THEN 1 ELSE 0 END), sum(CASE WHEN by_epci = 1 THEN 1 ELSE 0 END)
FROM (
    SELECT profession, epci_id, weeks, quantity, quota, quota_used_up,
           row_number() OVER (PARTITION BY professional_id, profession ORDER BY epci_id) AS by_profession,
           row_number() OVER (PARTITION BY professional_id, epci_id ORDER BY profession) AS by_epci
    FROM (
        SELECT professional_id, profession, epci_id, sum(weeks) AS weeks, sum(quantity) AS quantity,
               sum(quota) AS quota, sum(quota_used_up) AS quota_used_up
        FROM ({union}) AS u
        GROUP BY professional_id, profession, epci_id
    ) AS places
) AS ranked
GROUP BY profession, epci_id
"""


_QUOTA_FIGURES = ("professionals", "professional_weeks", "received", "quota_total", "quota_used_up")


@dataclass(frozen=True)
class ServedSummary:
    """The period's served professionals: per profession (quota use) and per EPCI (coverage)."""

    by_profession: dict[str, dict[str, int]]
    served_by_epci: dict[str | None, int]


def served_summary(f: DashboardFilters) -> ServedSummary:
    """Quota use per profession and distinct served professionals per EPCI, in one statement
    (shared by the two panels of a page through the filters' memo)."""
    if "served" in f.memo:
        return f.memo["served"]
    union, params = _served_rows(
        f,
        month_columns="professional_id, profession, epci_id, weeks, quantity, quota, quota_used_up",
        week_columns=(
            "professional_id, profession, epci_id, 1 AS weeks, quantity, quota, "
            "CASE WHEN quantity >= quota THEN 1 ELSE 0 END AS quota_used_up"
        ),
    )
    by_profession: dict[str, dict[str, int]] = {}
    served_by_epci: dict[str | None, int] = {}
    if union:
        for profession, epci, weeks, received, quota_total, used_up, professionals, in_epci in _fetch(
            _SERVED_SUMMARY_SQL.format(union=union), params
        ):
            row = by_profession.setdefault(profession, dict.fromkeys(_QUOTA_FIGURES, 0))
            row["professionals"] += int(professionals)
            row["professional_weeks"] += int(weeks)
            row["received"] += int(received)
            row["quota_total"] += int(quota_total)
            row["quota_used_up"] += int(used_up)
            served_by_epci[epci] = served_by_epci.get(epci, 0) + int(in_epci)
    summary = ServedSummary(by_profession=by_profession, served_by_epci=served_by_epci)
    f.memo["served"] = summary
    return summary


def quota_use(f: DashboardFilters) -> list[dict]:
    """Per profession: masks received against the weekly quotas of those served."""
    rows = [
        {"profession": profession, **figures}
        for profession, figures in sorted(served_summary(f).by_profession.items())
    ]
    for row in rows:
        row["profession_label"] = str(PROFESSION_LABELS.get(row["profession"], row["profession"]))
        row["use_rate"] = _ratio(row["received"], row["quota_total"])
    return rows


def _epci_names(f: DashboardFilters, codes) -> dict[str | None, str]:
    """The names of these EPCIs: those of the region, and any other one a row mentions. An EPCI
    can straddle two regions and be filed under the other (the Grand Avignon has Gard
    communes): its professionals of this region are still counted here, under its name."""
    names = region_reference(f).epci_names
    missing = [code for code in codes if code and code not in names]
    if missing:
        names = {**names, **dict(_reporting(Epci).filter(code__in=missing).values_list("code", "name"))}
    return names


def coverage_by_epci(f: DashboardFilters) -> list[dict]:
    """Per EPCI of practice: professionals known, referenced at a pharmacy, served in the period."""
    census = {
        row["epci"]: row
        for row in _scoped(_reporting(ProfessionalCensus), f, product=False)
        .values("epci")
        .annotate(known=Sum("known"), referenced=Sum("referenced"))
    }
    served = served_summary(f).served_by_epci
    names = _epci_names(f, set(census) | set(served))
    rows = []
    for epci in set(census) | set(served):
        known = census.get(epci, {}).get("known") or 0
        referenced = census.get(epci, {}).get("referenced") or 0
        rows.append(
            {
                "epci": epci or "",
                "epci_name": names.get(epci, epci) or _("Hors EPCI"),
                "known": known,
                "referenced": referenced,
                "served": served.get(epci, 0),
                "coverage": _ratio(served.get(epci, 0), referenced),
            }
        )
    rows.sort(key=lambda row: row["epci_name"])
    return rows


# Whole EPCIs with their professionals, doctors and whether they are an active priority zone.
# Portable SQL (also SQLite); the census is summed over the EPCI, whatever its region.
_ACCESS_SQL = """
SELECT e.code, e.name, e.population, coalesce(c.known, 0), coalesce(c.doctors, 0),
       EXISTS (SELECT 1 FROM consultations_priorityzone z WHERE z.epci_id = e.code AND z.is_active = %s)
FROM territories_epci e
LEFT JOIN (
    SELECT epci_id, sum(known) AS known, sum(CASE WHEN profession = %s THEN known ELSE 0 END) AS doctors
    FROM dashboards_professionalcensus
    WHERE epci_id IN (SELECT code FROM territories_epci WHERE region_id = %s)
    GROUP BY epci_id
) c ON c.epci_id = e.code
WHERE e.region_id = %s AND {scope}
ORDER BY e.name
"""


def access_to_care(f: DashboardFilters) -> list[dict]:
    """Professionals (and doctors) per 10,000 inhabitants per EPCI; priority zones flagged.

    Whole EPCIs: a département filter keeps the EPCIs with a commune in it, counted entirely,
    so that professionals and population cover the same territory.
    """
    scope, scope_params = f.epci_scope("e.code")
    params = [True, Profession.MEDECIN, f.region.pk, f.region.pk, *scope_params]
    rows = []
    fetched = _fetch(_ACCESS_SQL.format(scope=scope), params)
    for code, name, population, known, doctors, priority_zone in fetched:
        rows.append(
            {
                "epci": code,
                "epci_name": name,
                "population": population,
                "professionals": int(known),
                "per_10000": _ratio(known, population, scale=10_000),
                "doctors": int(doctors),
                "doctors_per_10000": _ratio(doctors, population, scale=10_000),
                "priority_zone": bool(priority_zone),
            }
        )
    return rows


# --- Solidarity consultations ------------------------------------------------------------------


# Per priority zone of the region: the published slots of the period, and its bookings by
# outcome. Portable SQL (also SQLite); bookings are read for the region's zones only.
_CONSULTATIONS_SQL = """
SELECT e.name, z.epci_id, z.is_active,
       (SELECT count(*) FROM consultations_slot sl
        JOIN consultations_mission m ON m.id = sl.mission_id
        JOIN consultations_site si ON si.id = m.site_id
        WHERE si.zone_id = z.id AND m.status = %s AND sl.starts_at >= %s AND sl.starts_at < %s),
       coalesce(b.booked, 0), coalesce(b.attended, 0), coalesce(b.no_show, 0),
       coalesce(b.without_doctor, 0), coalesce(b.new_doctor, 0)
FROM consultations_priorityzone z
JOIN territories_epci e ON e.code = z.epci_id
LEFT JOIN (
    SELECT si.zone_id, count(*) AS booked,
           sum(CASE WHEN bk.status = %s THEN 1 ELSE 0 END) AS attended,
           sum(CASE WHEN bk.status = %s THEN 1 ELSE 0 END) AS no_show,
           sum(CASE WHEN bk.has_regular_doctor = %s THEN 1 ELSE 0 END) AS without_doctor,
           sum(CASE WHEN bk.became_regular_doctor = %s THEN 1 ELSE 0 END) AS new_doctor
    FROM consultations_booking bk
    JOIN consultations_slot sl ON sl.id = bk.slot_id
    JOIN consultations_mission m ON m.id = sl.mission_id
    JOIN consultations_site si ON si.id = m.site_id
    WHERE bk.status IN ({statuses}) AND sl.starts_at >= %s AND sl.starts_at < %s
      AND si.zone_id IN (SELECT id FROM consultations_priorityzone WHERE region_id = %s)
    GROUP BY si.zone_id
) b ON b.zone_id = z.id
WHERE z.region_id = %s AND {scope}
ORDER BY e.name
"""


def consultations_by_zone(f: DashboardFilters) -> list[dict]:
    """Per priority zone over the period: slots offered, booked, attended, no-shows, doctors found."""
    connection = reporting_connection()
    start, end = (connection.ops.adapt_datetimefield_value(moment) for moment in f.moment_range)
    scope, scope_params = f.epci_scope("z.epci_id")
    statuses = list(ACTIVE_BOOKING_STATUSES)
    params = [
        MissionStatus.PUBLISHED, start, end,
        BookingStatus.ATTENDED, BookingStatus.NO_SHOW, False, True,
        *statuses, start, end, f.region.pk,
        f.region.pk, *scope_params,
    ]  # fmt: skip
    sql = _CONSULTATIONS_SQL.format(statuses=", ".join(["%s"] * len(statuses)), scope=scope)
    rows = []
    for name, epci, active, offered, booked, attended, no_show, without_doctor, new_doctor in _fetch(
        sql, params
    ):
        rows.append(
            {
                "zone": name,
                "epci": epci,
                "active": bool(active),
                "offered": int(offered),
                "booked": int(booked),
                "attended": int(attended),
                "no_show": int(no_show),
                "without_doctor": int(without_doctor),
                "without_doctor_share": _ratio(without_doctor, booked),
                "new_doctor": int(new_doctor),
            }
        )
    return rows


# --- Per-professional export -------------------------------------------------------------------

EXPORT_COLUMNS = (
    "created_at",
    "professional__rpps",
    "professional__adeli",
    "professional__last_name",
    "professional__first_name",
    "professional__profession",
    "pharmacy__finess",
    "pharmacy__name",
    "product__code",
    "quantity",
    "period_start",
    "policy__quantity",
)


def dispensations_for_export(*, region_code: str, start: date, end: date):
    """The region's dispensations of [start, end] (Paris days), oldest first, as tuples.

    Streams through a server-side cursor (`iterator`); the range on `created_at` uses the
    dispensation's created_at index, the region comes from the pharmacy.
    """
    since = week_bounds(start)[0]
    until = week_bounds(end)[0] + timedelta(days=1)
    return (
        _reporting(Dispensation)
        .filter(pharmacy__region_id=region_code, created_at__gte=since, created_at__lt=until)
        .order_by("created_at", "id")
        .values_list(*EXPORT_COLUMNS)
        .iterator(chunk_size=5000)
    )
