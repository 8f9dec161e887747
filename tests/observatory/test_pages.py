"""The observatory page and its CSV: who sees what, the figures shown, bad filters."""

import csv
import io
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from observatory.models import CommuneAccess, EpciAccess
from observatory.services import import_drees_apl
from territories.models import Commune
from tests.factories import UserFactory
from tests.observatory.conftest import AUCH, RISCLE, TOULOUSE

pytestmark = pytest.mark.django_db
URL = reverse("observatory:observatory")
CSV_URL = reverse("observatory:csv")


def read_csv(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def test_ars_staff_see_their_region_by_epci_with_the_computed_figures(client, ars_occitanie, computed):
    client.force_login(ars_occitanie)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["filters"].territory.region.pk == "76"
    epci = Commune.objects.get(pk=RISCLE).epci
    (row,) = [r for r in response.context["page"].paginator.object_list if r["code"] == epci.pk]
    stored = EpciAccess.objects.get(epci=epci)
    assert row["general_practitioners"] == 2
    assert row["gp_density"] == round(2 * 10_000 / stored.population, 2)
    assert row["accessibility"] == round(stored.accessibility, 1)
    assert "2SFCA" in response.content.decode()
    assert response.context["row_count"] == EpciAccess.objects.filter(region_id="76").count()


def test_commune_level_filtered_by_departement_and_profession(client, ars_occitanie, computed):
    client.force_login(ars_occitanie)
    response = client.get(URL, {"level": "commune", "departement": "31", "profession": "infirmier"})
    assert response.status_code == 200
    rows = response.context["page"].paginator.object_list
    assert {r["code"][:2] for r in rows} == {"31"}
    (toulouse,) = [r for r in rows if r["code"] == TOULOUSE]
    population = Commune.objects.get(pk=TOULOUSE).population
    assert toulouse["count"] == 2
    assert toulouse["density"] == round(2 * 10_000 / population, 2)
    assert toulouse["nearest_gp_km"] == 0
    # Worst accessibility first.
    values = [r["accessibility"] for r in rows]
    assert values == sorted(values)


def test_the_map_points_carry_every_row_and_a_class_per_quintile(client, ars_occitanie, computed):
    client.force_login(ars_occitanie)
    params = {"level": "commune", "departement": "32", "indicator": "distance"}
    response = client.get(URL, params)
    # The page carries the address of its map's points, not the points (compact JSON, cached).
    assert "observatory-map-points" not in response.content.decode()
    assert response.context["map_url"].startswith(reverse("observatory:map") + "?")
    points = client.get(reverse("observatory:map"), params).json()
    assert len(points) == CommuneAccess.objects.filter(departement_id="32").count()
    riscle = next(p for p in points if p[0] == RISCLE)
    assert riscle[5] == 0 and riscle[6] == 4  # nearest GP at 0 km: the best class
    farthest = max(points, key=lambda p: p[5])
    assert farthest[6] == 0
    assert [item["class"] for item in response.context["legend"]] == [0, 1, 2, 3, 4]


def test_drees_apl_is_shown_beside_the_computed_indicator(client, ars_occitanie, computed):
    import_drees_apl(rows=[(RISCLE, 3.2), (AUCH, 4.1)], year=2023, file_name="apl.xlsx", sheet="APL 2023")
    client.force_login(ars_occitanie)
    rows = client.get(URL, {"level": "commune", "departement": "32"}).context["page"].paginator.object_list
    by_code = {r["code"]: r for r in rows}
    assert by_code[RISCLE]["drees_apl"] == 3.2 and by_code[AUCH]["drees_apl"] == 4.1
    epci = Commune.objects.get(pk=RISCLE).epci
    epci_rows = client.get(URL).context["page"].paginator.object_list
    (row,) = [r for r in epci_rows if r["code"] == epci.pk]
    assert row["drees_apl"] == 3.2  # the only member with a value


def test_priority_zones_and_their_solidarity_consultations_are_on_the_page(
    client, ars_occitanie, computed, zone_consultations
):
    client.force_login(ars_occitanie)
    response = client.get(URL)
    (zone,) = response.context["zones"]
    assert (zone.attended_count, zone.new_regular_doctor_count, zone.booking_count) == (1, 1, 3)
    rows = response.context["page"].paginator.object_list
    assert [r["code"] for r in rows if r["priority"]] == [zone.epci_id]


def test_the_csv_holds_every_row_and_every_profession(client, ars_occitanie, computed):
    client.force_login(ars_occitanie)
    response = client.get(CSV_URL, {"level": "commune", "departement": "32"})
    assert response.status_code == 200
    rows = read_csv(response)
    assert len(rows) == CommuneAccess.objects.filter(departement_id="32").count()
    riscle = next(r for r in rows if r["code"] == RISCLE)
    population = Commune.objects.get(pk=RISCLE).population
    assert riscle["médecins généralistes"] == "2"
    assert float(riscle["Infirmier pour 10 000 hab."]) == round(10_000 / population, 2)
    assert riscle["distance au généraliste le plus proche (km)"] == "0.0"


def test_a_cpts_coordinator_sees_only_their_territory(client, cpts_gers, computed):
    client.force_login(cpts_gers)
    response = client.get(URL, {"level": "commune"})
    assert response.status_code == 200
    epci = Commune.objects.get(pk=RISCLE).epci
    codes = {r["code"] for r in response.context["page"].paginator.object_list}
    assert codes == set(Commune.objects.filter(epci=epci).values_list("pk", flat=True))
    csv_codes = {r["code"] for r in read_csv(client.get(CSV_URL, {"level": "epci"}))}
    assert csv_codes == {epci.pk}


def test_a_cpts_coordinator_without_a_territory_sees_nothing(client, computed):
    user = UserFactory(role="cpts_coordinator", region_id="76", email="cpts2@exemple.fr")
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200 and response.context["row_count"] == 0


@pytest.mark.parametrize("url", [URL, CSV_URL])
def test_another_region_is_refused_to_ars_staff_and_cpts(
    client, ars_occitanie, ars_paca, cpts_gers, computed, url
):
    client.force_login(ars_occitanie)
    assert client.get(url, {"region": "93"}).status_code == 403
    client.force_login(cpts_gers)
    assert client.get(url, {"region": "93"}).status_code == 403
    # ARS staff of PACA see their own region: none of Occitanie's EPCIs (only the test database's
    # EPCIs of PACA straddling into Occitanie, without a GP).
    client.force_login(ars_paca)
    response = client.get(URL)
    assert response.status_code == 200
    rows = response.context["page"].paginator.object_list
    assert Commune.objects.get(pk=RISCLE).epci_id not in {r["code"] for r in rows}
    assert all(r["general_practitioners"] == 0 for r in rows)


def test_an_administrator_chooses_any_region(client, administrator, computed):
    client.force_login(administrator)
    response = client.get(URL, {"region": "76", "level": "commune"})
    assert response.status_code == 200
    assert response.context["row_count"] == Commune.objects.filter(region_id="76").count()


@pytest.mark.parametrize(
    "params",
    [
        {"level": "canton"},
        {"profession": "astrologue"},
        {"indicator": "bonheur"},
        {"departement": "75"},  # not in the region
        {"departement": "ZZ"},
    ],
)
def test_bad_filters_are_a_french_400(client, ars_occitanie, computed, params):
    client.force_login(ars_occitanie)
    response = client.get(URL, params)
    assert response.status_code == 400
    assert "Les filtres ne sont pas valides" in response.content.decode()
    assert client.get(CSV_URL, params).status_code == 400


def test_an_unknown_region_is_a_400_for_an_administrator(client, administrator, computed):
    client.force_login(administrator)
    assert client.get(URL, {"region": "99"}).status_code == 400


@pytest.mark.parametrize("role", ["pharmacist", "professional", "patient"])
def test_other_roles_are_refused(client, occitanie, role):
    client.force_login(UserFactory(role=role, email=f"{role}@exemple.fr"))
    assert client.get(URL).status_code == 403
    assert client.get(CSV_URL).status_code == 403


def test_the_page_before_any_computation_says_so(client, ars_occitanie):
    client.force_login(ars_occitanie)
    response = client.get(URL)
    assert response.status_code == 200
    assert "pas encore été calculé" in response.content.decode()


def test_the_page_reads_its_rows_from_the_cache_after_the_first_request(client, ars_occitanie, computed):
    cache.clear()
    client.force_login(ars_occitanie)
    params = {"level": "commune"}
    first = client.get(URL, params)
    with CaptureQueriesContext(connection) as captured:
        again = client.get(URL, params)
        points = client.get(reverse("observatory:map"), params).json()
    assert not [q for q in captured.captured_queries if "observatory_communeaccess" in q["sql"]]
    assert [r["code"] for r in again.context["page"].object_list] == [
        r["code"] for r in first.context["page"].object_list
    ]
    assert len(points) == first.context["row_count"]


def test_the_map_json_refuses_bad_filters_in_french(client, ars_occitanie, computed):
    client.force_login(ars_occitanie)
    response = client.get(reverse("observatory:map"), {"level": "pays"})
    assert response.status_code == 400
    assert response.json()["message"] == "Les filtres ne sont pas valides."


def test_the_nightly_task_leaves_every_regions_default_pages_in_the_cache(client, ars_occitanie, directory):
    from observatory.tasks import compute_access

    cache.clear()
    compute_access()  # the beat task: computation, then the regions' default pages warmed
    client.force_login(ars_occitanie)
    for params in ({}, {"level": "commune"}):
        with CaptureQueriesContext(connection) as captured:
            page = client.get(URL, params)
            client.get(reverse("observatory:map"), params)
        assert page.status_code == 200 and page.context["row_count"] > 0
        # Negative control below: a cold cache reads the computed rows.
        assert not [q for q in captured.captured_queries if ACCESS_TABLES.search(q["sql"])]
    cache.clear()
    for params in ({}, {"level": "commune"}):
        with CaptureQueriesContext(connection) as captured:
            client.get(URL, params)
        assert [q for q in captured.captured_queries if ACCESS_TABLES.search(q["sql"])]


ACCESS_TABLES = re.compile(r'FROM "observatory_(commune|epci)access"')
