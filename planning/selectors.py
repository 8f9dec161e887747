"""Reads of the planning pages: forecasts in a scope, proposals, the simulator's inputs."""

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import Role
from gomask.clock import start_of_day, week_start
from notifications.models import CoordinatorScope
from pharmacies.models import MovementKind, Pharmacy, StockMovement
from planning.forecast import MIN_COVER_DAYS, NATIONAL, quotas_in_force
from planning.models import Proposal, ProposalStatus, StockForecast
from planning.simulator import simulate
from professionals.models import Profession, Referencing
from territories.models import Epci


def forecasts_in_scope(user, *, region_code: str) -> QuerySet[StockForecast]:
    """ARS staff and administrators: the region; a CPTS coordinator: the EPCIs and communes of
    their territory within their region (nothing without a territory)."""
    rows = StockForecast.objects.filter(pharmacy__region_id=region_code, pharmacy__is_active=True)
    if user.role == Role.CPTS_COORDINATOR:
        scope = CoordinatorScope.objects.filter(user=user).first()
        if scope is None:
            return rows.none()
        epcis = list(scope.epcis.values_list("pk", flat=True))
        communes = list(scope.communes.values_list("pk", flat=True))
        rows = rows.filter(Q(pharmacy__commune__epci_id__in=epcis) | Q(pharmacy__commune_id__in=communes))
    return rows


def at_risk(rows: QuerySet[StockForecast], *, departement=None, epci=None, product=None) -> QuerySet:
    """Forecasts under MIN_COVER_DAYS of cover, earliest stock-out first."""
    rows = rows.filter(days_of_cover__lt=MIN_COVER_DAYS)
    if departement is not None:
        rows = rows.filter(pharmacy__departement=departement)
    if epci is not None:
        rows = rows.filter(pharmacy__commune__epci=epci)
    if product is not None:
        rows = rows.filter(product=product)
    return rows.select_related("pharmacy__commune__epci", "pharmacy__departement", "product").order_by(
        "stockout_on", "days_of_cover", "pharmacy__name", "product__name"
    )


def pharmacy_forecasts(pharmacy) -> list[StockForecast]:
    return list(
        StockForecast.objects.filter(pharmacy=pharmacy).select_related("product").order_by("product__name")
    )


def last_computed_on(region_code: str | None = None) -> date | None:
    rows = StockForecast.objects.all()
    if region_code:
        rows = rows.filter(pharmacy__region_id=region_code)
    return rows.order_by("-computed_on").values_list("computed_on", flat=True).first()


def region_proposals(region_code: str) -> QuerySet[Proposal]:
    return (
        Proposal.objects.filter(region_id=region_code)
        .exclude(status=ProposalStatus.DISMISSED)
        .select_related("product", "recipient__commune", "sender__commune", "shipment")
        .order_by("status", "recipient__name", "kind", "id")
    )


def proposals_to_send(pharmacy) -> QuerySet[Proposal]:
    """Transfers the ARS accepted and this pharmacy is asked to send."""
    return (
        Proposal.objects.filter(sender=pharmacy, status=ProposalStatus.ACCEPTED)
        .select_related("product", "recipient__commune")
        .order_by("id")
    )


# --- simulator inputs --------------------------------------------------------------------------

PROFESSIONS = list(Profession.values)


@dataclass
class SimulationInputs:
    weeks: list[date]
    epcis: list[tuple[str, str]]  # (code, name); index len(epcis) - 1 may be ("", "Sans EPCI")
    supply: np.ndarray
    prof_pharmacy: np.ndarray
    prof_profession: np.ndarray
    prof_epci: np.ndarray
    pharmacy_epci: np.ndarray
    quotas_in_force: np.ndarray  # (weeks, professions)


def quota_table(on: date, *, region_code: str, product_id: int) -> dict[str, int]:
    """Weekly quota per profession in force on `on` in the region (regional, else national)."""
    national, regional = {}, {}
    for region, profession, product, weekly in quotas_in_force(on):
        if product != product_id:
            continue
        if region == NATIONAL:
            national[profession] = weekly
        elif region == region_code:
            regional[profession] = weekly
    return {profession: regional.get(profession, national.get(profession, 0)) for profession in PROFESSIONS}


def simulation_weeks(today: date, count: int) -> list[date]:
    """The last `count` whole weeks (Monday to Sunday) before the current one, oldest first."""
    this_monday = week_start(today)
    return [this_monday - timedelta(weeks=count - i) for i in range(count)]


def simulation_inputs(*, region_code: str, product, weeks: list[date]) -> SimulationInputs:
    epcis = list(Epci.objects.filter(region_id=region_code).order_by("name").values_list("code", "name"))
    epci_index = {code: i for i, (code, _name) in enumerate(epcis)}
    no_epci = len(epcis)
    epcis.append(("", ""))
    refs = list(
        Referencing.objects.filter(
            ended_at__isnull=True, pharmacy__region_id=region_code, pharmacy__is_active=True
        ).values_list("pharmacy_id", "professional__profession", "professional__practice_commune__epci_id")
    )
    pharmacy_rows = list(
        Pharmacy.objects.filter(region_id=region_code, is_active=True)
        .order_by("pk")
        .values_list("pk", "commune__epci_id")
    )
    pharmacy_index = {pk: i for i, (pk, _e) in enumerate(pharmacy_rows)}
    pharmacy_epci = np.array([epci_index.get(e, no_epci) for _pk, e in pharmacy_rows], dtype=np.int64)
    profession_index = {p: i for i, p in enumerate(PROFESSIONS)}
    prof_pharmacy = np.array([pharmacy_index[r[0]] for r in refs], dtype=np.int64)
    prof_profession = np.array([profession_index[r[1]] for r in refs], dtype=np.int64)
    prof_epci = np.array([epci_index.get(r[2], no_epci) for r in refs], dtype=np.int64)
    supply = weekly_supply(pharmacy_index, region_code=region_code, product_id=product.pk, weeks=weeks)
    quotas = np.array(
        [
            [quota_table(monday, region_code=region_code, product_id=product.pk)[p] for p in PROFESSIONS]
            for monday in weeks
        ],
        dtype=float,
    ).reshape(len(weeks), len(PROFESSIONS))
    return SimulationInputs(
        weeks, epcis, supply, prof_pharmacy, prof_profession, prof_epci, pharmacy_epci, quotas
    )


def weekly_supply(
    pharmacy_index: dict[int, int], *, region_code: str, product_id: int, weeks: list[date]
) -> np.ndarray:
    """(pharmacies, weeks): stock on the Monday (the last ledger row before it) plus arrivals
    and incoming transfers during the week."""
    supply = np.zeros((len(pharmacy_index), len(weeks)))
    if not pharmacy_index or not weeks:
        return supply
    table = StockMovement._meta.db_table
    pharmacies = Pharmacy._meta.db_table
    in_region = f"pharmacy_id IN (SELECT id FROM {pharmacies} WHERE region_id = %s AND is_active)"
    with connection.cursor() as cursor:
        for w, monday in enumerate(weeks):
            start = connection.ops.adapt_datetimefield_value(start_of_day(monday))
            end = connection.ops.adapt_datetimefield_value(start_of_day(monday + timedelta(days=7)))
            cursor.execute(
                f"""
                SELECT pharmacy_id, on_hand_after FROM (
                    SELECT pharmacy_id, on_hand_after,
                           ROW_NUMBER() OVER (PARTITION BY pharmacy_id ORDER BY created_at DESC, id DESC) AS n
                    FROM {table}
                    WHERE product_id = %s AND created_at < %s AND {in_region}
                ) last WHERE n = 1
                """,
                [product_id, start, region_code],
            )
            for pharmacy_id, on_hand in cursor.fetchall():
                supply[pharmacy_index[pharmacy_id], w] += on_hand
            cursor.execute(
                f"""
                SELECT pharmacy_id, SUM(on_hand_delta) FROM {table}
                WHERE product_id = %s AND created_at >= %s AND created_at < %s AND kind IN (%s, %s)
                  AND on_hand_delta > 0 AND {in_region}
                GROUP BY pharmacy_id
                """,
                [product_id, start, end, MovementKind.ARRIVAL, MovementKind.TRANSFER_IN, region_code],
            )
            for pharmacy_id, arrived in cursor.fetchall():
                supply[pharmacy_index[pharmacy_id], w] += arrived
    return supply


def simulation_rows(inputs: SimulationInputs, *, draft: dict, in_force: dict) -> list[dict]:
    """Per EPCI, the policy in force and the draft (a profession left empty: the quota in force)
    applied to the same weeks; EPCIs with nobody referenced and no stock-out are left out."""
    draft_row = [draft[p] if draft.get(p) is not None else in_force[p] for p in PROFESSIONS]
    draft_quotas = np.tile(np.array(draft_row, dtype=float), (len(inputs.weeks), 1))
    common = {
        "supply": inputs.supply,
        "prof_pharmacy": inputs.prof_pharmacy,
        "prof_profession": inputs.prof_profession,
        "prof_epci": inputs.prof_epci,
        "pharmacy_epci": inputs.pharmacy_epci,
        "n_epci": len(inputs.epcis),
    }
    current = simulate(quotas=inputs.quotas_in_force, **common)
    drafted = simulate(quotas=draft_quotas, **common)
    rows = []
    for i, (code, name) in enumerate(inputs.epcis):
        if current.professionals[i] == 0 and current.stockout_days[i] == 0 and drafted.stockout_days[i] == 0:
            continue
        rows.append(
            {
                "code": code,
                "name": name or _("Sans intercommunalité"),
                "professionals": int(current.professionals[i]),
                "current": _figures(current, i),
                "draft": _figures(drafted, i),
            }
        )
    return rows


def _figures(result, i):
    def pct(value):
        return None if np.isnan(value) else round(float(value) * 100, 1)

    return {
        "fully": pct(result.fully_served_share[i]),
        "stockout_days": int(result.stockout_days[i]),
        "gini": None if np.isnan(result.gini[i]) else round(float(result.gini[i]), 3),
    }
