"""The scheduled computation against figures recomputed here, independently, from the data the
test built (the directory of conftest.py and Occitanie's real communes and populations)."""

import math

import pytest

from observatory.accessibility import BANDS, EARTH_RADIUS_KM
from observatory.models import AccessRun, CommuneAccess, EpciAccess
from observatory.services import compute_access
from territories.models import Commune
from tests.observatory.conftest import AUCH, RISCLE, TOULOUSE, gp

pytestmark = pytest.mark.django_db


def haversine(a, b) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def weight(distance: float) -> float:
    for limit, w in BANDS:
        if distance <= limit:
            return w
    return 0.0


def expected_accessibility(target: Commune, supply: dict[str, int]) -> float:
    communes = list(Commune.objects.all())
    by_code = {c.insee_code: c for c in communes}
    total = 0.0
    for code, gps in supply.items():
        site = by_code[code]
        demand = sum(weight(haversine(site, c)) * c.population for c in communes)
        total += weight(haversine(target, site)) * gps / demand
    return total * 100_000


def test_commune_figures_come_from_the_directory_and_the_populations(computed):
    riscle = CommuneAccess.objects.get(commune_id=RISCLE)
    assert riscle.general_practitioners == 2  # the cardiologist and the GP who left do not count
    assert riscle.professionals == {"medecin": 3, "infirmier": 1}
    assert riscle.population == Commune.objects.get(pk=RISCLE).population
    assert riscle.nearest_gp_km == 0
    toulouse = CommuneAccess.objects.get(commune_id=TOULOUSE)
    assert toulouse.professionals == {"medecin": 1, "infirmier": 2}
    assert computed.general_practitioners == 4 and computed.supply_communes == 3
    run = AccessRun.objects.get()
    assert (run.communes, run.general_practitioners, run.supply_communes) == (Commune.objects.count(), 4, 3)


def test_the_distance_to_the_nearest_gp_is_to_the_nearest_commune_where_one_practises(computed):
    riscle, auch, toulouse = (Commune.objects.get(pk=code) for code in (RISCLE, AUCH, TOULOUSE))
    for access in CommuneAccess.objects.filter(departement_id="32").select_related("commune")[:40]:
        expected = min(haversine(access.commune, site) for site in (riscle, auch, toulouse))
        assert access.nearest_gp_km == pytest.approx(expected, abs=1e-3)


def test_two_step_floating_catchment_matches_a_plain_recomputation(computed):
    supply = {RISCLE: 2, AUCH: 1, TOULOUSE: 1}
    riscle = Commune.objects.get(pk=RISCLE)
    neighbours = [
        c
        for c in Commune.objects.filter(departement_id__in=["32", "65", "40"])
        if 8 < haversine(riscle, c) < 18
    ][:3]
    for target in [riscle, *neighbours]:
        stored = CommuneAccess.objects.get(commune=target).accessibility
        assert stored == pytest.approx(expected_accessibility(target, supply), abs=1e-5)
    far = Commune.objects.filter(departement_id="48").first()  # Lozère: no GP within 20 km
    assert CommuneAccess.objects.get(commune=far).accessibility == 0


def test_epci_figures_are_sums_and_population_weighted_means_of_their_communes(computed):
    epci = Commune.objects.get(pk=RISCLE).epci
    members = list(CommuneAccess.objects.filter(epci=epci))
    row = EpciAccess.objects.get(epci=epci)
    population = sum(m.population for m in members)
    assert row.population == population
    assert row.communes == len(members)
    assert row.general_practitioners == 2
    assert row.professionals == {"medecin": 3, "infirmier": 1}
    assert row.accessibility == pytest.approx(
        sum(m.accessibility * m.population for m in members) / population, abs=1e-5
    )
    assert row.nearest_gp_km == pytest.approx(
        sum(m.nearest_gp_km * m.population for m in members) / population, abs=1e-3
    )


def test_a_new_computation_replaces_the_previous_one(computed):
    gp(AUCH)
    compute_access()
    assert CommuneAccess.objects.get(commune_id=AUCH).general_practitioners == 2
    assert CommuneAccess.objects.count() == Commune.objects.count()
    assert AccessRun.objects.count() == 2


def test_without_any_gp_nothing_is_accessible_and_no_distance_is_given(occitanie):
    compute_access()
    row = CommuneAccess.objects.get(commune_id=RISCLE)
    assert (row.accessibility, row.nearest_gp_km, row.general_practitioners) == (0, None, 0)


def test_the_task_runs_the_computation(directory):
    from observatory.tasks import compute_access as task

    assert task() == Commune.objects.count()
