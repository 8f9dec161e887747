"""Pages and API of the referrals app: who may use them, on whose objects, and bad input."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from distribution.models import CareSite, CareSiteKind
from notifications.models import Delivery, DeliveryKind
from referrals.models import Referral, SiteStatus, StatusReport
from tests.factories import UserFactory
from tests.referrals.conftest import make_site, set_status

pytestmark = pytest.mark.django_db


def api_as(user):
    client = APIClient()
    client.force_login(user)
    return client


# --- Staff pages --------------------------------------------------------------------------


def test_cpts_coordinator_lists_only_the_sites_of_its_territory(
    client, cpts_gers, riscle_site, toulouse_site
):
    client.force_login(cpts_gers)
    page = client.get(reverse("referrals:sites")).content.decode()
    assert "Centre COVID de Riscle" in page
    assert "Toulouse Purpan" not in page


def test_ars_agent_creates_a_site_from_the_form_with_commune_and_postal_code(client, ars_occitanie, manager):
    client.force_login(ars_occitanie)
    response = client.post(
        reverse("referrals:site_create"),
        {
            "kind": CareSiteKind.SSE_CENTRE,
            "name": "Centre SSE du Gers",
            "commune": "Riscle (32400)",
            "phone": "05 62 69 00 11",
            "email": "sse@exemple.fr",
            "manager_email": manager.email,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    site = CareSite.objects.get(name="Centre SSE du Gers")
    assert (site.commune_id, site.phone, site.manager) == ("32344", "+33562690011", manager)


def test_the_site_form_shows_bad_input_next_to_the_field_and_writes_nothing(client, ars_occitanie):
    client.force_login(ars_occitanie)
    response = client.post(
        reverse("referrals:site_create"),
        {"kind": CareSiteKind.LAB, "name": "Labo", "commune": "32400", "finess": "12"},
    )
    assert response.status_code == 400
    assert "FINESS" in response.content.decode()
    assert not CareSite.objects.exists()


@pytest.mark.parametrize("persona", ["ars_paca", "cpts_toulouse"])
def test_staff_of_another_region_or_territory_may_not_edit_a_site(client, request, persona, riscle_site):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("referrals:site_edit", args=[riscle_site.pk])).status_code == 403
    response = client.post(
        reverse("referrals:site_edit", args=[riscle_site.pk]),
        {"kind": CareSiteKind.LAB, "name": "Renommé", "commune": "31555"},
    )
    assert response.status_code == 403
    riscle_site.refresh_from_db()
    assert riscle_site.name == "Centre COVID de Riscle"


# --- Manager's status page ----------------------------------------------------------------


def test_manager_updates_the_status_from_the_page(client, manager, riscle_site):
    client.force_login(manager)
    assert "Centre COVID de Riscle" in client.get(reverse("referrals:my_sites")).content.decode()
    url = reverse("referrals:site_status", args=[riscle_site.pk])
    response = client.post(
        url, {"state": "saturated", "capacity_left": "0", "covid_track": "on", "accepts_referrals": "on"}
    )
    assert response.status_code == 302
    status = SiteStatus.objects.get(site=riscle_site)
    assert (status.state, status.capacity_left, status.declared_by) == ("saturated", 0, manager)
    assert "mis à jour il y a" in client.get(url).content.decode()


def test_the_manager_of_another_site_is_refused_and_nothing_is_written(client, other_manager, riscle_site):
    client.force_login(other_manager)
    url = reverse("referrals:site_status", args=[riscle_site.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"state": "closed"}).status_code == 403
    assert not StatusReport.objects.exists()


def test_bad_status_input_is_shown_with_a_400(client, manager, riscle_site):
    client.force_login(manager)
    response = client.post(
        reverse("referrals:site_status", args=[riscle_site.pk]),
        {"state": "open", "capacity_left": "beaucoup"},
    )
    assert response.status_code == 400
    assert "Les places restantes" in response.content.decode()
    assert not StatusReport.objects.exists()


def test_a_stale_status_is_shown_as_such(client, manager, riscle_site, hours_ago):
    set_status(riscle_site, at=hours_ago(30))
    client.force_login(manager)
    assert "Statut de plus de 24 h" in client.get(reverse("referrals:my_sites")).content.decode()


# --- Referral from the list ---------------------------------------------------------------


def test_a_nurse_finds_a_site_sends_a_slip_and_prints_it(client, nurse, riscle_site, toulouse_site):
    set_status(riscle_site)
    set_status(toulouse_site, accepts=False)
    client.force_login(nurse)
    page = client.get(reverse("referrals:refer")).content.decode()
    assert "Centre COVID de Riscle" in page
    assert "Toulouse Purpan" not in page
    response = client.post(
        reverse("referrals:refer_site", args=[riscle_site.pk]), {"reason": "fièvre depuis 3 jours"}
    )
    referral = Referral.objects.get()
    assert response["Location"] == reverse("referrals:slip", args=[referral.pk])
    slip = client.get(response["Location"]).content.decode()
    assert "fièvre depuis 3 jours" in slip and "Claire Lafitte" in slip
    assert Delivery.objects.filter(kind=DeliveryKind.REFERRAL_SLIP).count() == 1


def test_a_search_from_a_typed_postal_code_with_spaces(client, nurse, toulouse_site):
    set_status(toulouse_site)
    client.force_login(nurse)
    page = client.get(reverse("referrals:refer"), {"place": " 31 000 ", "open_now": "on"})
    assert page.status_code == 200
    assert "Toulouse Purpan" in page.content.decode()


def test_an_unknown_place_is_a_400_with_a_french_message(client, nurse):
    client.force_login(nurse)
    response = client.get(reverse("referrals:refer"), {"place": "Atlantide"})
    assert response.status_code == 400
    assert "Aucune commune" in response.content.decode()


def test_another_professional_cannot_read_the_slip(client, nurse, riscle_site, other_manager):
    set_status(riscle_site)
    client.force_login(nurse)
    client.post(reverse("referrals:refer_site", args=[riscle_site.pk]), {"reason": "fièvre"})
    client.force_login(other_manager)
    assert client.get(reverse("referrals:slip", args=[Referral.objects.get().pk])).status_code == 404


def test_a_slip_to_a_site_not_accepting_is_not_found(client, nurse, riscle_site):
    set_status(riscle_site, accepts=False)
    client.force_login(nurse)
    assert (
        client.post(reverse("referrals:refer_site", args=[riscle_site.pk]), {"reason": "fièvre"}).status_code
        == 404
    )
    assert not Referral.objects.exists()


def test_an_empty_reason_is_refused_with_a_400(client, nurse, riscle_site):
    set_status(riscle_site)
    client.force_login(nurse)
    assert (
        client.post(reverse("referrals:refer_site", args=[riscle_site.pk]), {"reason": ""}).status_code == 400
    )
    assert not Referral.objects.exists()


# --- Public orientation -------------------------------------------------------------------


@pytest.mark.parametrize("code", ["32", "32344"])
def test_the_orientation_page_shows_open_sites_and_emergency_numbers_without_an_account(
    client, riscle_site, code
):
    set_status(riscle_site, accepts=False)
    page = client.get(reverse("referrals:orientation", args=[code]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Centre COVID de Riscle" in text
    assert "tel:15" in text and "114" in text
    assert "dr.lacoste" not in text


@pytest.mark.parametrize("code", ["99999", "ZZ", "3"])
def test_an_unknown_territory_is_not_found(client, occitanie, code):
    assert client.get(reverse("referrals:orientation", args=[code])).status_code == 404


def test_the_orientation_form_leads_from_a_postal_code_to_its_commune(client, occitanie):
    response = client.get(reverse("referrals:orientation_home"), {"code": "32 400"})
    assert response["Location"] == reverse("referrals:orientation", args=["32344"])
    assert client.get(reverse("referrals:orientation_home"), {"code": "abcdef"}).status_code == 400


# --- API ----------------------------------------------------------------------------------


def test_api_lists_the_nearest_accepting_sites_from_a_point_or_a_postal_code(
    nurse, riscle_site, toulouse_site
):
    set_status(riscle_site)
    set_status(toulouse_site)
    api = api_as(nurse)
    rows = api.get(
        "/api/sites-de-soins/proches/", {"latitude": "43.6", "longitude": "1.44", "limit": 1}
    ).json()
    assert [row["name"] for row in rows] == ["Centre COVID de Toulouse Purpan"]
    rows = api.get("/api/sites-de-soins/proches/", {"place": "32400"}).json()
    assert rows[0]["name"] == "Centre COVID de Riscle"
    assert rows[0]["stale"] is False
    assert "manager" not in rows[0]


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"latitude": "95", "longitude": "0"},
        {"place": "Atlantide"},
        {"place": "32400", "limit": "500"},
        {"place": "32400", "kind": "x"},
    ],
)
def test_api_bad_queries_are_400_in_french(nurse, occitanie, query):
    response = api_as(nurse).get("/api/sites-de-soins/proches/", query)
    assert response.status_code == 400


def test_api_status_update_by_the_manager_and_refusals(manager, other_manager, riscle_site):
    url = f"/api/sites-de-soins/{riscle_site.pk}/statut/"
    response = api_as(manager).post(
        url, {"state": "open", "capacity_left": 5, "accepts_referrals": True}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["capacity_left"] == 5
    assert api_as(other_manager).post(url, {"state": "closed"}, format="json").status_code == 403
    assert api_as(manager).post(url, {"state": "plein"}, format="json").status_code == 400
    assert APIClient().post(url, {"state": "closed"}, format="json").status_code == 401
    assert SiteStatus.objects.get(site=riscle_site).state == "open"
    assert StatusReport.objects.count() == 1


def test_api_nearest_is_refused_to_a_patient(occitanie):
    patient = UserFactory(email="patient@exemple.fr")
    assert api_as(patient).get("/api/sites-de-soins/proches/", {"place": "32400"}).status_code == 403


def test_make_site_helper_is_consistent(occitanie):
    site = make_site("32344", name="Essai")
    assert site.region_id == "76"


def test_the_open_data_feed_carries_the_status_but_never_the_manager(client, riscle_site, manager):
    set_status(riscle_site, capacity=7)
    payload = client.get(reverse("opendata:care-sites")).json()
    row = next(row for row in payload["data"] if row["name"] == "Centre COVID de Riscle")
    assert (row["status_state"], row["status_capacity_left"], row["status_stale"]) == ("open", 7, False)
    assert row["position_precision"] == "site"
    for output in ("json", "csv", "geojson"):
        text = client.get(reverse("opendata:care-sites"), {"format": output}).content.decode()
        assert "Lacoste" not in text and manager.email not in text
