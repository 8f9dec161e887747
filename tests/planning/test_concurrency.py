"""Two agents accepting the same regional proposal at the same second: one shipment only."""

import threading

import pytest

from distribution.models import Shipment
from planning import services
from planning.models import Proposal, ProposalKind
from tests.concurrency.test_quota_races import run_in_threads
from tests.factories import PharmacyFactory, UserFactory, enrol_totp
from tests.planning.conftest import TODAY, TOULOUSE, every_day, set_stock

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def regional_proposal(occitanie, products, quota_policies):
    pharmacy = PharmacyFactory(insee_code=TOULOUSE)
    set_stock(pharmacy, products["surgical"], 0)
    every_day(pharmacy, products["surgical"], 4)
    services.refresh_forecast(today=TODAY)
    agents = [UserFactory(role="ars_staff", region_id="76") for _ in range(4)]
    for agent in agents:
        enrol_totp(agent)
    return Proposal.objects.get(kind=ProposalKind.REGIONAL), agents


def test_four_agents_accepting_the_same_proposal_create_one_shipment(regional_proposal):
    proposal, agents = regional_proposal
    results = run_in_threads(
        [
            lambda agent=agent: services.accept_proposal(actor=agent, proposal_id=proposal.pk)
            for agent in agents
        ]
    )
    assert sum(ok for ok, _value in results) == 1
    assert Shipment.objects.count() == 1


def test_negative_control_without_the_row_lock_the_race_ships_twice(regional_proposal, monkeypatch):
    proposal, agents = regional_proposal
    everyone_has_read = threading.Barrier(len(agents))

    def unlocked(proposal_id):
        row = Proposal.objects.select_related("product").get(pk=proposal_id)
        everyone_has_read.wait(timeout=30)
        return row

    monkeypatch.setattr(services, "_locked_proposal", unlocked)
    run_in_threads(
        [
            lambda agent=agent: services.accept_proposal(actor=agent, proposal_id=proposal.pk)
            for agent in agents
        ]
    )
    assert Shipment.objects.count() > 1
