"""Who may see the dashboards (pages, CSV, API, export) and the logged per-professional export."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboards.models import ExportLog
from dashboards.services import refresh_rollups

pytestmark = pytest.mark.django_db

PAGE = reverse("dashboards:dashboard")
CSV = reverse("dashboards:panel_csv", args=["flows"])
EXPORT = reverse("dashboards:export_dispensations")
API = reverse("api-dashboard-panel", args=["flows"])
API_LIST = reverse("api-dashboard-panels")
REFUSED_ROLES = ["pharmacist", "professional", "patient", "cpts_coordinator", "pending_ars"]


def this_month() -> str:
    return timezone.localdate().strftime("%Y-%m")


def export_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


@pytest.mark.parametrize("role", REFUSED_ROLES)
@pytest.mark.parametrize("url", [PAGE, CSV, EXPORT])
def test_pages_csv_and_export_refuse_every_other_role(client, other_roles, role, url):
    client.force_login(other_roles[role])
    assert client.get(url).status_code == 403
    assert client.post(EXPORT, {"month": this_month()}).status_code == 403
    assert not ExportLog.objects.exists()


@pytest.mark.parametrize("role", REFUSED_ROLES)
@pytest.mark.parametrize("url", [API, API_LIST])
def test_api_refuses_every_other_role(client, other_roles, role, url):
    client.force_login(other_roles[role])
    response = client.get(url)
    assert response.status_code == 403
    assert "message" in response.json() or "detail" in response.json()


@pytest.mark.parametrize("url", [PAGE, CSV, EXPORT])
def test_anonymous_visitors_are_sent_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_anonymous_api_calls_are_refused(client):
    assert client.get(API).status_code in (401, 403)


def test_ars_of_another_region_cannot_read_occitanie(client, ars_paca, world):
    refresh_rollups()
    client.force_login(ars_paca)
    assert client.get(PAGE, {"region": "76"}).status_code == 403
    assert client.get(CSV, {"region": "76"}).status_code == 403
    response = client.get(API, {"region": "76"})
    assert response.status_code == 403
    assert response.json()["code"] == "out_of_region"


def test_ars_of_another_region_sees_only_its_own_region(client, ars_paca, world):
    refresh_rollups()
    client.force_login(ars_paca)
    response = client.get(PAGE)
    assert response.status_code == 200
    assert response.context["filters"].region.code == "93"
    flows = response.context["sections"][3]["rows"]
    assert sum(row["dispensed"] for row in flows) == 0
    # Occitanie's département is not in PACA: a filter on it is invalid there.
    assert client.get(PAGE, {"departement": "32"}).status_code == 400


def test_ars_of_another_region_cannot_export_occitanie(client, ars_paca, world):
    from django.contrib.auth.models import Permission

    ars_paca.user_permissions.add(Permission.objects.get(codename="export_dispensations"))
    client.force_login(ars_paca)
    assert client.post(EXPORT, {"month": this_month(), "region": "76"}).status_code == 403
    assert not ExportLog.objects.exists()


def test_ars_staff_without_the_export_permission_are_refused(client, ars_occitanie, world):
    client.force_login(ars_occitanie)
    assert client.get(EXPORT).status_code == 403
    assert client.post(EXPORT, {"month": this_month()}).status_code == 403
    assert not ExportLog.objects.exists()


def test_export_streams_the_regions_dispensations_of_the_month_and_is_logged(client, exporting_ars, world):
    client.force_login(exporting_ars)
    assert client.get(EXPORT).status_code == 200
    response = client.post(EXPORT, {"month": this_month()})
    assert response.status_code == 200
    assert response.streaming
    rows = export_rows(response)
    assert rows[0][:4] == ["date_delivrance", "rpps", "adeli", "nom"]
    today = timezone.localdate()
    expected = [
        d for d in world.dispensations if timezone.localtime(d.created_at).date().month == today.month
    ]
    assert len(rows) - 1 == len(expected)
    nurse_rows = [row for row in rows[1:] if row[1] == world.nurse.rpps]
    assert sum(int(row[9]) for row in nurse_rows) == sum(
        d.quantity for d in expected if d.professional_id == world.nurse.pk
    )
    log = ExportLog.objects.get()
    assert (log.user, log.region_id, log.row_count) == (exporting_ars, "76", len(expected))
    assert log.period_start == today.replace(day=1)
    assert log.period_end.month == today.month and (log.period_end + timedelta(days=1)).day == 1
    assert log.completed_at is not None


def test_export_of_last_month_contains_last_weeks_handovers_when_they_fall_in_it(
    client, exporting_ars, world
):
    client.force_login(exporting_ars)
    last_wednesday = timezone.localtime(world.dispensations[0].created_at)
    response = client.post(EXPORT, {"month": last_wednesday.strftime("%Y-%m")})
    rows = export_rows(response)[1:]
    assert world.nurse.rpps in {row[1] for row in rows}
    assert ExportLog.objects.get().row_count == len(rows)


@pytest.mark.parametrize("month", ["", "2026-13", "mars", "2020-3-1", "9999-01"])
def test_export_refuses_a_bad_month_and_logs_nothing(client, exporting_ars, month):
    client.force_login(exporting_ars)
    response = client.post(EXPORT, {"month": month})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not ExportLog.objects.exists()


def test_administrator_exports_any_region(client, administrator, world):
    client.force_login(administrator)
    response = client.post(EXPORT, {"month": this_month(), "region": "76"})
    assert response.status_code == 200
    export_rows(response)
    assert ExportLog.objects.get().user == administrator


def test_api_returns_the_panel_rows_and_freshness(client, ars_occitanie, world):
    refresh_rollups()
    client.force_login(ars_occitanie)
    response = client.get(reverse("api-dashboard-panel", args=["professions"]), {"departement": "32"})
    assert response.status_code == 200
    body = response.json()
    assert body["filters"]["departement"] == "32"
    assert body["data_as_of"] is not None and body["live"] is False
    by_profession = {row["profession_label"]: row["quantity"] for row in body["rows"]}
    assert by_profession == {"Infirmier": 18, "Masseur-kinésithérapeute": 6}
    assert {panel["panel"] for panel in client.get(API_LIST).json()} >= {"stock", "flows", "consultations"}


def test_api_refuses_bad_filters_with_a_code_and_unknown_panels_with_404(client, ars_occitanie, world):
    client.force_login(ars_occitanie)
    response = client.get(API, {"start": "2026-05-10", "end": "2026-05-01"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_filter"
    assert response.json()["field"] == "end"
    assert client.get(reverse("api-dashboard-panel", args=["inconnu"])).status_code == 404


def test_api_accepts_token_authentication(client, ars_occitanie, world):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=ars_occitanie)
    response = client.get(API, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
