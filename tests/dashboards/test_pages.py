"""The regional dashboard page, its filters and its per-panel CSV: figures computed from `world`."""

import csv
import io

import pytest
from django.urls import reverse

from dashboards.services import refresh_rollups
from tests.factories import commune

pytestmark = pytest.mark.django_db

URL = reverse("dashboards:dashboard")


def panel_table(html: str, slug: str) -> str:
    start = html.index(f'id="panel-{slug}"')
    return html[start : html.index("</section>", start)]


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


@pytest.fixture
def ars_client(client, ars_occitanie, world):
    refresh_rollups()
    client.force_login(ars_occitanie)
    return client


def test_dashboard_shows_every_panel_with_its_freshness(ars_client):
    response = ars_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for slug in ("stock", "bands", "pharmacies", "flows", "professions", "quotas", "coverage", "access"):
        assert f'id="panel-{slug}"' in html
    assert "Données arrêtées au" in html
    assert "Données en temps réel" in html
    assert 'id="chart-data-flows"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html
    assert "Tableau de bord — Occitanie" in html


def test_weekly_flows_table_shows_this_weeks_arrivals_by_source_and_dispensations(ars_client, world):
    response = ars_client.get(URL, {"product": "surgical"})
    rows = {row["week_start"]: row for row in response.context["sections"][3]["rows"]}
    this_week = rows[world.this_week]
    # Arrivals: Riscle 200 national + 50 donated, Toulouse 300 regional, Auch 20 national.
    assert (this_week["national"], this_week["regional"], this_week["donation"]) == (220, 300, 50)
    assert this_week["dispensed"] == 8 + 6 + 5
    assert rows[world.last_week]["dispensed"] == 10 + 18


def test_filtering_to_a_departement_keeps_only_its_pharmacies(ars_client, world):
    response = ars_client.get(URL, {"departement": "32", "product": "surgical"})
    flows = {row["week_start"]: row for row in response.context["sections"][3]["rows"]}
    assert flows[world.this_week]["dispensed"] == 8 + 6
    assert flows[world.this_week]["regional"] == 0
    stock = response.context["sections"][0]["rows"]
    assert [row["departement"] for row in stock] == ["32"]
    # Riscle 250 - 24 and Auch 20 surgical masks.
    assert stock[0]["on_hand"] == 226 + 20
    assert "226" not in panel_table(response.content.decode(), "flows")


def test_stock_panel_states_days_left_at_the_last_two_weeks_rate(ars_client):
    response = ars_client.get(URL, {"departement": "31", "product": "surgical"})
    (row,) = response.context["sections"][0]["rows"]
    # Toulouse: 300 - 18 - 5 = 277 masks; 18 handed over in the two previous weeks: 18/14 a day.
    assert row["on_hand"] == 277
    assert row["daily_rate"] == round(18 / 14, 1)
    # 215.4 days: whole days in the figures, "more than 90 days" for readers.
    assert row["days_left"] == 215
    table = panel_table(response.content.decode(), "stock")
    assert "plus de 90 jours" in table
    assert "215,4" not in table and "215" not in table


def test_days_of_cover_read_as_whole_days_less_than_one_day_or_more_than_ninety():
    from dashboards.selectors import days_of_cover
    from dashboards.templatetags.dashboards_tags import days_text

    assert days_of_cover(5, 2.0) == 2  # 2.5 days: the third day is not covered
    assert days_of_cover(-3, 2.0) == 0
    assert days_of_cover(10, 0) is None
    assert [days_text(days) for days in (0, 1, 12, 90, 91, 5073)] == [
        "moins d'un jour",
        "1 jour",
        "12 jours",
        "90 jours",
        "plus de 90 jours",
        "plus de 90 jours",
    ]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_table_numbers_read_as_django_formats_them_in_each_language(language):
    """The tables' fast number formatting reads exactly as `number_format` would."""
    from django.utils import formats, translation

    from dashboards.panels import Column
    from dashboards.templatetags.dashboards_tags import cell

    column = Column("n", "N")
    with translation.override(language):
        for value in (0, 7, 999, 1000, -1234, 1234567, 12.0):
            expected = formats.number_format(value, 0, use_l10n=True, force_grouping=True)
            assert cell({"n": value}, column) == expected
        assert cell({"n": None}, column) == "—"
        for kind, suffix in (("decimal", ""), ("percent", " %")):
            column = Column("x", "X", kind)
            for value in (0, 0.5, 7.3, 999.9, 1234.5, -12.25, 100.0, 1234567.8):
                assert cell({"x": value}, column) == formats.number_format(value, 1, use_l10n=True) + suffix


def test_table_cells_are_escaped_and_bands_read_as_their_coloured_label():
    from dashboards.panels import PANELS
    from dashboards.templatetags.dashboards_tags import panel_body

    rows = [
        {"name": "Pharmacie <b>du</b> Marché & Fils", "finess": "320000011", "commune": "Auch",
         "product": "Masque chirurgical", "available": 1234, "band": "none", "daily_rate": 2.5,
         "days_left": None, "updated_at": None},
    ]  # fmt: skip
    html = panel_body(PANELS["pharmacies"], rows)
    assert '<th scope="row">Pharmacie &lt;b&gt;du&lt;/b&gt; Marché &amp; Fils</th>' in html
    assert '<td data-key="band"><span class="stock-band-none">Rupture</span></td>' in html
    assert '<td data-key="available">1\xa0234</td>' in html
    assert '<td data-key="days_left">—</td>' in html and '<td data-key="daily_rate">2,5</td>' in html


def test_rows_at_risk_read_the_same_by_index_slice_and_iteration():
    """The at-risk rows are built when read (a page shows 50 of thousands): every way of
    reading gives the same rows, update times aware whether the database gave an offset or not."""
    from dashboards.selectors import AtRiskRows

    place = ("Auch", "32", 43.64, 0.58, "Masque chirurgical")
    records = [
        ("none", None, 0, 0.0, 1, "320000011", "Pharmacie A", *place, 0, None),
        ("low", 3, 12, 4.0, 2, "320000029", "Pharmacie B", *place, 12, "2026-11-30 08:00:00+00"),
        ("low", 5, 20, 4.0, 3, "320000037", "Pharmacie C", *place, 20, "2026-11-30 08:00:00.5"),
    ]
    rows = AtRiskRows(records)
    assert len(rows) == 3
    assert list(rows) == rows[0:3] == [rows[0], rows[1], rows[2]]
    assert rows[0]["updated_at"] is None and rows[0]["band"] == "none"
    assert rows[1]["updated_at"].utcoffset().total_seconds() == 0 and rows[1]["daily_rate"] == 4.0
    assert rows[2]["updated_at"].tzinfo is not None


def test_a_count_in_thousands_is_grouped_as_french_readers_write_it(rf):
    from django.core.paginator import Paginator
    from django.template.loader import render_to_string

    from dashboards.panels import PANELS

    section = {
        "panel": PANELS["pharmacies"],
        "rows": [],
        "page": Paginator(range(1879), 50).page(1),
        "csv_url": "/ars/tableau-de-bord/export/pharmacies.csv?region=76",
    }
    html = render_to_string("dashboards/_panel.html", {"section": section}, request=rf.get(URL))
    assert "1\xa0879 officines et produits" in html


def test_stock_chart_names_each_departement_once_with_one_bar_per_product(ars_client):
    response = ars_client.get(URL)
    stock = response.context["sections"][0]
    # Rows: (31, FFP2), (31, surgical), (32, surgical).
    chart = stock["chart"]
    assert chart["labels"] == ["Haute-Garonne", "Gers"]
    by_product = {dataset["label"]: dataset["data"] for dataset in chart["datasets"]}
    rows = {(row["departement_name"], row["product"]): row["on_hand"] for row in stock["rows"]}
    assert len(by_product) == len({row["product"] for row in stock["rows"]}) == 2
    for product, data in by_product.items():
        assert data == [rows.get((name, product), 0) for name in chart["labels"]]


def test_an_administrator_opens_the_dashboard_on_a_region_with_pharmacies(client, administrator, world):
    refresh_rollups()
    client.force_login(administrator)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["filters"].region.pk == "76"
    assert response.context["sections"][0]["rows"]


def test_pharmacies_out_of_stock_or_low_are_listed_and_mapped(ars_client, world):
    response = ars_client.get(URL, {"departement": "32"})
    at_risk = response.context["sections"][2]["rows"]
    names = {(row["name"], row["band"]) for row in at_risk}
    # Auch holds 20 surgical masks: low.
    assert ("Pharmacie de la Cathédrale", "low") in names
    # No FFP2 ever reached Riscle or Auch: both are out of stock for it.
    assert sum(1 for row in at_risk if row["band"] == "none") == 2
    assert {point["name"] for point in response.context["map_points"]} == {row["name"] for row in at_risk}
    bands = {row["band"]: row["count"] for row in response.context["sections"][1]["rows"]}
    assert bands == {"none": 2, "low": 1, "medium": 0, "high": 1}


def test_dispensations_per_profession_and_quota_use(ars_client):
    response = ars_client.get(URL)
    professions = {row["profession"]: row for row in response.context["sections"][4]["rows"]}
    assert professions["infirmier"]["quantity"] == 10 + 8 + 5
    assert professions["medecin"]["quantity"] == 18
    quotas = {row["profession"]: row for row in response.context["sections"][5]["rows"]}
    # The nurse: 10 of 18 last week, 13 of 18 this week; the physio used up 6 of 6.
    assert quotas["infirmier"]["use_rate"] == round(23 * 100 / 36, 1)
    assert quotas["masseur_kinesitherapeute"]["quota_used_up"] == 1
    assert quotas["medecin"]["quota_used_up"] == 1


def test_coverage_counts_referenced_and_served_professionals_by_epci(ars_client):
    response = ars_client.get(URL)
    coverage = {row["epci"]: row for row in response.context["sections"][6]["rows"]}
    riscle_epci = commune("32344").epci_id
    # Riscle: nurse (referenced, served) and physio (not referenced, served).
    assert (coverage[riscle_epci]["known"], coverage[riscle_epci]["referenced"]) == (2, 1)
    assert coverage[riscle_epci]["served"] == 2
    toulouse_epci = commune("31555").epci_id
    assert coverage[toulouse_epci]["coverage"] == 100.0


def test_coverage_names_an_epci_filed_under_the_neighbouring_region(ars_client):
    """The Grand Avignon has communes in the Gard and is filed under Provence-Alpes-Côte
    d'Azur: the Gard's professionals in it are counted in Occitanie, under its name (the page
    showed its SIREN code instead)."""
    from territories.models import Epci, Region

    epci = commune("32344").epci
    neighbour, _ = Region.objects.get_or_create(code="93", defaults={"name": "Provence-Alpes-Côte d'Azur"})
    Epci.objects.filter(pk=epci.pk).update(region=neighbour)
    response = ars_client.get(URL)
    coverage = {row["epci"]: row for row in response.context["sections"][6]["rows"]}
    assert coverage[epci.pk]["epci_name"] == epci.name
    assert coverage[epci.pk]["served"] == 2


def test_access_to_care_uses_real_populations_and_flags_priority_zones(ars_client, zone_consultations):
    response = ars_client.get(URL, {"departement": "32"})
    access = {row["epci"]: row for row in response.context["sections"][7]["rows"]}
    epci = commune("32344").epci
    row = access[epci.code]
    assert row["population"] == epci.population > 0
    assert row["professionals"] == 2
    assert row["per_10000"] == round(2 * 10_000 / epci.population, 1)
    assert row["priority_zone"] is True
    assert 'class="priority-zone"' in panel_table(response.content.decode(), "access")


def test_consultations_per_priority_zone(ars_client, zone_consultations):
    response = ars_client.get(URL)
    (row,) = response.context["sections"][8]["rows"]
    assert row["zone"] == zone_consultations.epci.name
    assert (row["offered"], row["booked"], row["attended"], row["no_show"]) == (4, 3, 1, 1)
    assert row["without_doctor_share"] == round(2 * 100 / 3, 1)
    assert row["new_doctor"] == 1


def test_tables_render_without_javascript_with_captions_and_headers(ars_client):
    html = ars_client.get(URL).content.decode()
    table = panel_table(html, "professions")
    assert "<caption>" in table and '<th scope="col">' in table and '<th scope="row">' in table
    assert "<script>" not in html.replace('<script id="', "")  # no inline JS, only json_script data


@pytest.mark.parametrize(
    "params, field",
    [
        ({"departement": "13"}, "departement"),
        ({"epci": "999999999"}, "epci"),
        ({"start": "2026-02-10", "end": "2026-02-01"}, "end"),
        ({"start": "pas-une-date"}, "start"),
        ({"product": "gants"}, "product"),
        ({"start": "2019-01-01", "end": "2021-01-01"}, "end"),
    ],
)
def test_bad_filters_are_refused_with_a_french_message(ars_client, params, field):
    response = ars_client.get(URL, params)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert 'role="alert"' in response.content.decode()


def test_panel_csv_has_the_tables_figures(ars_client, world):
    response = ars_client.get(reverse("dashboards:panel_csv", args=["professions"]), {"product": "surgical"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert rows[0] == ["Profession", "Masques délivrés", "Délivrances", "Part des masques"]
    by_profession = {row[0]: row for row in rows[1:]}
    assert by_profession["Infirmier"][1:3] == ["23", "3"]
    assert by_profession["Médecin"][1:3] == ["18", "1"]


def test_flows_csv_lists_every_week_of_the_period(ars_client, world):
    rows = csv_rows(ars_client.get(reverse("dashboards:panel_csv", args=["flows"])))
    weeks = [row[0] for row in rows[1:]]
    assert world.this_week.isoformat() in weeks and world.last_week.isoformat() in weeks
    assert len(weeks) == 4


def test_unknown_panel_csv_is_404(ars_client):
    assert ars_client.get(reverse("dashboards:panel_csv", args=["inconnu"])).status_code == 404


def test_administrator_picks_a_region(client, administrator, world):
    refresh_rollups()
    client.force_login(administrator)
    response = client.get(URL, {"region": "76", "departement": "31"})
    assert response.status_code == 200
    assert response.context["filters"].region.code == "76"
    assert response.context["sections"][0]["rows"][0]["on_hand"] == 277


def test_page_is_linked_from_the_ars_home_and_the_menu(ars_client):
    html = ars_client.get(reverse("distribution:ars_home")).content.decode()
    assert html.count(f'href="{URL}"') >= 2
