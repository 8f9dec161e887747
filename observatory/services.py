"""Writes of the observatory: the scheduled computation and the import of the DREES APL file."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from gomask.errors import InvalidInput
from gomask.locks import advisory_lock
from observatory import selectors
from observatory.accessibility import two_step_floating_catchment, weighted_mean
from observatory.models import AccessRun, CommuneAccess, DreesApl, DreesImport, EpciAccess
from professionals.models import Profession, Professional
from territories.models import Commune, Epci

# Savoir-faire codes of the RPPS directory meaning general medicine ("médecine générale").
GENERAL_PRACTICE_CODES = ("SM54", "SM53", "SM26")
BULK = 2000


def general_practitioners():
    """Active general practitioners: médecins of the directory with a general-medicine savoir-faire."""
    return Professional.objects.filter(
        profession=Profession.MEDECIN,
        specialty_code__in=GENERAL_PRACTICE_CODES,
        left_directory_at__isnull=True,
    )


@dataclass(frozen=True)
class ComputeResult:
    communes: int
    epcis: int
    general_practitioners: int
    supply_communes: int


def compute_access(*, now=None) -> ComputeResult:
    """Recompute every commune's and EPCI's figures from the directory and the populations.

    Reads everything first (one query each), computes in NumPy, then replaces the tables in
    one transaction under an advisory lock: a reader sees the previous run or this one, and two
    overlapping runs queue."""
    started_at = now or timezone.now()
    communes = list(
        Commune.objects.order_by("insee_code").values_list(
            "insee_code", "region_id", "departement_id", "epci_id", "population", "latitude", "longitude"
        )
    )
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for commune_id, profession, n in (
        Professional.objects.filter(left_directory_at__isnull=True)
        .values_list("practice_commune_id", "profession")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[commune_id][profession] = n
    gps = dict(
        general_practitioners()
        .values_list("practice_commune_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("practice_commune_id", "n")
    )

    codes = [row[0] for row in communes]
    population = np.array([row[4] for row in communes], dtype=np.float64)
    positions = np.array([(row[5], row[6]) for row in communes], dtype=np.float64).reshape(-1, 2)
    index = {code: i for i, code in enumerate(codes)}
    supply_index = [index[code] for code in sorted(gps) if code in index]
    supply = np.array([gps[codes[i]] for i in supply_index], dtype=np.float64)
    result = two_step_floating_catchment(
        demand_positions=positions,
        population=population,
        supply_positions=positions[supply_index],
        supply=supply,
    )

    commune_rows = []
    by_epci: dict[str, list[int]] = defaultdict(list)
    for i, (code, region_id, departement_id, epci_id, pop, _lat, _lng) in enumerate(communes):
        nearest = result.nearest_km[i]
        commune_rows.append(
            CommuneAccess(
                commune_id=code,
                region_id=region_id,
                departement_id=departement_id,
                epci_id=epci_id,
                population=pop,
                professionals=counts.get(code, {}),
                general_practitioners=gps.get(code, 0),
                nearest_gp_km=None if np.isnan(nearest) else round(float(nearest), 3),
                accessibility=round(float(result.score[i]), 6),
                computed_at=started_at,
            )
        )
        if epci_id:
            by_epci[epci_id].append(i)

    epci_regions = dict(Epci.objects.filter(pk__in=by_epci).values_list("pk", "region_id"))
    epci_rows = []
    for epci_id, members in sorted(by_epci.items()):
        region_id = epci_regions.get(epci_id) or communes[members[0]][1]
        members_population = population[members]
        professionals: dict[str, int] = defaultdict(int)
        for i in members:
            for profession, n in counts.get(codes[i], {}).items():
                professionals[profession] += n
        nearest = weighted_mean(result.nearest_km[members], members_population)
        latitude = weighted_mean(positions[members, 0], members_population)
        longitude = weighted_mean(positions[members, 1], members_population)
        epci_rows.append(
            EpciAccess(
                epci_id=epci_id,
                region_id=region_id,
                communes=len(members),
                latitude=round(latitude, 6),
                longitude=round(longitude, 6),
                population=int(members_population.sum()),
                professionals=dict(professionals),
                general_practitioners=sum(gps.get(codes[i], 0) for i in members),
                nearest_gp_km=None if nearest is None else round(nearest, 3),
                accessibility=round(weighted_mean(result.score[members], members_population) or 0.0, 6),
                computed_at=started_at,
            )
        )

    with transaction.atomic():
        advisory_lock("observatory-compute")
        CommuneAccess.objects.all().delete()
        EpciAccess.objects.all().delete()
        CommuneAccess.objects.bulk_create(commune_rows, batch_size=BULK)
        EpciAccess.objects.bulk_create(epci_rows, batch_size=BULK)
        AccessRun.objects.create(
            started_at=started_at,
            finished_at=timezone.now(),
            communes=len(commune_rows),
            general_practitioners=int(supply.sum()),
            supply_communes=len(supply_index),
        )
    return ComputeResult(
        communes=len(commune_rows),
        epcis=len(epci_rows),
        general_practitioners=int(supply.sum()),
        supply_communes=len(supply_index),
    )


@dataclass(frozen=True)
class ImportResult:
    year: int
    imported: int
    skipped: int
    unknown_communes: list[str]


def import_drees_apl(*, rows, year: int, file_name: str, sheet: str, imported_by: str = "") -> ImportResult:
    """Replace the DREES APL values of `year` with `rows` ((INSEE code, value) pairs).

    Codes the territories do not know (old communes, arrondissements) are skipped and listed;
    a negative or missing value is refused, and nothing is written then."""
    if not 2000 <= year <= 2100:
        raise InvalidInput(_("L'année du fichier de la DREES n'est pas valide."), code="drees_year")
    values: dict[str, float] = {}
    for code, value in rows:
        if value is None or value < 0:
            raise InvalidInput(
                _("Valeur d'APL invalide pour la commune %(code)s.") % {"code": code}, code="drees_value"
            )
        values[code] = float(value)
    if not values:
        raise InvalidInput(_("Le fichier de la DREES ne contient aucune commune."), code="drees_empty")
    known = set(Commune.objects.filter(pk__in=list(values)).values_list("pk", flat=True))
    unknown = sorted(set(values) - known)
    with transaction.atomic():
        advisory_lock("observatory-drees", year)
        DreesApl.objects.filter(year=year).delete()
        source = DreesImport.objects.create(
            file_name=file_name[:255],
            sheet=sheet[:100],
            year=year,
            rows=len(known),
            skipped=len(unknown),
            imported_by=imported_by[:200],
        )
        DreesApl.objects.bulk_create(
            [
                DreesApl(commune_id=code, year=year, value=values[code], source=source)
                for code in sorted(known)
            ],
            batch_size=BULK,
        )
    return ImportResult(year=year, imported=len(known), skipped=len(unknown), unknown_communes=unknown)


def warm_region_pages() -> int:
    """After a run: the regions' default pages are built into the cache (see the selector)."""
    return selectors.warm_region_pages()
