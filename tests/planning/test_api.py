"""The planning API: the same gates and services as the pages, French 400s that write nothing,
the allocation's Idempotency-Key contract."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Role
from distribution.models import QuotaPolicy, Shipment
from notifications.models import CoordinatorScope
from planning import services
from planning.models import Proposal, ProposalKind, ProposalStatus
from tests.factories import PharmacyFactory, UserFactory, commune, pharmacist_of
from tests.planning.conftest import RISCLE, TODAY, every_day, set_stock

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _names(response) -> list[str]:
    return [row["pharmacy_name"] for row in response.json()["results"]]


def test_ars_read_the_pharmacies_at_risk_of_their_region_and_filter_them(ars_occitanie, at_risk_scene):
    api = _api(ars_occitanie)
    response = api.get("/api/anticipation/a-risque/")
    assert response.status_code == 200
    assert _names(response) == ["Pharmacie de l'Adour", "Pharmacie du Capitole"]
    assert response.json()["results"][0]["days_of_cover"] == pytest.approx(2.0)
    assert _names(api.get("/api/anticipation/a-risque/", {"departement": "31"})) == ["Pharmacie du Capitole"]
    refused = api.get("/api/anticipation/a-risque/", {"departement": "13"})
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid"
    assert "departement" in refused.json()["fields"]


def test_an_agent_of_another_region_and_a_cpts_coordinator_see_their_scope_only(
    ars_paca, occitanie, at_risk_scene
):
    assert _names(_api(ars_paca).get("/api/anticipation/a-risque/", {"region": "76"})) == []
    coordinator = UserFactory(role=Role.CPTS_COORDINATOR, region_id="76")
    scope = CoordinatorScope.objects.create(user=coordinator, name="CPTS du Val d'Adour")
    scope.communes.add(commune(RISCLE))
    api = _api(coordinator)
    assert _names(api.get("/api/anticipation/a-risque/")) == ["Pharmacie de l'Adour"]
    assert api.get("/api/anticipation/propositions/").status_code == 403


def test_a_pharmacist_reads_the_forecast_of_their_pharmacy_only(at_risk_scene):
    riscle, toulouse, _auch = at_risk_scene
    api = _api(pharmacist_of(riscle))
    response = api.get(f"/api/anticipation/officines/{riscle.pk}/prevision/")
    assert response.status_code == 200
    assert "surgical" in [row["product"] for row in response.json()["forecasts"]]
    assert api.get(f"/api/anticipation/officines/{toulouse.pk}/prevision/").status_code == 403


def test_accepting_a_regional_proposal_ships_once(ars_occitanie, ars_paca, at_risk_scene):
    proposal = Proposal.objects.filter(kind=ProposalKind.REGIONAL).order_by("id").first()
    listed = _api(ars_occitanie).get("/api/anticipation/propositions/").json()["results"]
    assert proposal.pk in [row["id"] for row in listed]
    url = f"/api/anticipation/propositions/{proposal.pk}/accepter/"
    assert _api(ars_paca).post(url, {}, format="json").status_code == 403
    bad = _api(ars_occitanie).post(url, {"source": "lune"}, format="json")
    assert bad.status_code == 400
    assert not Shipment.objects.exists()
    response = _api(ars_occitanie).post(url, {"source": "national"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == ProposalStatus.DONE
    assert Shipment.objects.filter(pharmacy=proposal.recipient, quantity=proposal.quantity).count() == 1
    again = _api(ars_occitanie).post(url, {}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "proposal_already_decided"


def test_a_transfer_is_sent_by_the_sending_pharmacy_through_the_api(ars_occitanie, occitanie, surgical):
    a = PharmacyFactory(insee_code=RISCLE, name="Pharmacie A")
    b = PharmacyFactory(insee_code=RISCLE, name="Pharmacie B")
    set_stock(a, surgical, 0)
    every_day(a, surgical, 2)
    set_stock(b, surgical, 100)
    services.refresh_forecast(today=TODAY)
    proposal = Proposal.objects.get(kind=ProposalKind.TRANSFER)
    _api(ars_occitanie).post(f"/api/anticipation/propositions/{proposal.pk}/accepter/", {}, format="json")
    wrong = _api(pharmacist_of(a)).post(
        f"/api/anticipation/officines/{a.pk}/transferts/{proposal.pk}/envoyer/"
    )
    assert wrong.status_code == 404
    sender = _api(pharmacist_of(b))
    todo = sender.get(f"/api/anticipation/officines/{b.pk}/prevision/").json()["transfers_to_send"]
    assert [row["id"] for row in todo] == [proposal.pk]
    sent = sender.post(f"/api/anticipation/officines/{b.pk}/transferts/{proposal.pk}/envoyer/")
    assert sent.status_code == 200
    assert sent.json()["status"] == ProposalStatus.DONE
    assert (
        sender.post(f"/api/anticipation/officines/{b.pk}/transferts/{proposal.pk}/envoyer/").status_code
        == 409
    )


def test_allocation_preview_then_confirm_with_an_idempotency_key(ars_occitanie, at_risk_scene):
    riscle, toulouse, auch = at_risk_scene
    api = _api(ars_occitanie)
    preview = api.get("/api/anticipation/repartition/", {"product": "surgical", "quantity": 1000})
    assert preview.status_code == 200
    lines = {row["key"]: row["proposed"] for row in preview.json()["recipients"]}
    assert lines == {f"pharmacy-{riscle.pk}": 750, f"pharmacy-{toulouse.pk}": 250, f"pharmacy-{auch.pk}": 0}
    body = {"product": "surgical", "source": "national", "lines": lines}
    created = api.post("/api/anticipation/repartition/", body, format="json", HTTP_IDEMPOTENCY_KEY="lot-1")
    assert created.status_code == 201
    assert sorted(row["quantity"] for row in created.json()) == [250, 750]
    replay = api.post("/api/anticipation/repartition/", body, format="json", HTTP_IDEMPOTENCY_KEY="lot-1")
    assert replay.status_code == 200
    assert sorted(row["id"] for row in replay.json()) == sorted(row["id"] for row in created.json())
    assert sum(Shipment.objects.values_list("quantity", flat=True)) == 1000
    other = {**body, "lines": {f"pharmacy-{riscle.pk}": 10}}
    reused = api.post("/api/anticipation/repartition/", other, format="json", HTTP_IDEMPOTENCY_KEY="lot-1")
    assert reused.status_code == 409
    assert reused.json()["code"] == "idempotency_key_reused"
    assert Shipment.objects.count() == 2


@pytest.mark.parametrize(
    "body",
    [
        {"product": "surgical", "source": "national", "lines": {}},
        {"product": "surgical", "source": "national", "lines": {"pharmacy-1": -3}},
        {"product": "surgical", "source": "national", "lines": {"n'importe": 3}},
        {"product": "caviar", "source": "national", "lines": {"pharmacy-1": 3}},
        {"product": "surgical", "source": "national", "lines": "beaucoup"},
        {"product": "surgical", "lines": {"pharmacy-1": 3}},
    ],
)
def test_a_malformed_allocation_is_a_french_400_and_ships_nothing(ars_occitanie, at_risk_scene, body):
    response = _api(ars_occitanie).post("/api/anticipation/repartition/", body, format="json")
    assert response.status_code == 400
    assert response.json()["message"]
    assert not Shipment.objects.exists()


def test_the_simulator_writes_nothing_and_publishing_adds_a_version(ars_occitanie, at_risk_scene):
    api = _api(ars_occitanie)
    before = QuotaPolicy.objects.count()
    response = api.get(
        "/api/anticipation/simulateur/", {"product": "surgical", "weeks": 4, "quota_infirmier": 12}
    )
    assert response.status_code == 200
    assert len(response.json()["weeks"]) == 4
    assert {
        key: value
        for line in response.json()["quotas"]
        if line["profession"] == "infirmier"
        for key, value in line.items()
        if key != "in_force"
    } == {"profession": "infirmier", "draft": 12}
    assert api.get("/api/anticipation/simulateur/", {"product": "surgical", "weeks": 0}).status_code == 400
    assert QuotaPolicy.objects.count() == before
    body = {"product": "surgical", "quotas": {"infirmier": 12}, "effective_from": "2026-12-07"}
    published = api.post("/api/anticipation/simulateur/publier/", body, format="json")
    assert published.status_code == 201
    assert [(row["profession"], row["quantity"], row["region"]) for row in published.json()] == [
        ("infirmier", 12, "76")
    ]
    unchanged = api.post(
        "/api/anticipation/simulateur/publier/", {"product": "surgical", "quotas": {}}, format="json"
    )
    assert unchanged.status_code == 400
    assert "rien à publier" in unchanged.json()["message"]
    assert QuotaPolicy.objects.count() == before + 1
