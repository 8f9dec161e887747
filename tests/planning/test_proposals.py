"""Rebalancing proposals: exact quantities, the senders' floor, acceptance through the existing
transfer and shipment services, scopes and replays."""

from datetime import timedelta

import pytest

from distribution.models import Shipment
from gomask.errors import Conflict, NotAllowed
from pharmacies.models import MovementKind, StockLevel, StockMovement
from planning import services
from planning.models import Proposal, ProposalKind, ProposalStatus
from tests.factories import PharmacyFactory, pharmacist_of
from tests.planning.conftest import RISCLE, TODAY, TOULOUSE, every_day, set_stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(occitanie, surgical):
    """Riscle A: 20 masks, 10 a day (cover 2, needs 50); Riscle B, same commune: 100 masks,
    5 a day (keeps 35, may give 65); Toulouse C: 0 masks, 4 a day (needs 28, nobody within
    30 km has any to spare)."""
    a = PharmacyFactory(insee_code=RISCLE, name="Pharmacie A")
    b = PharmacyFactory(insee_code=RISCLE, name="Pharmacie B")
    c = PharmacyFactory(insee_code=TOULOUSE, name="Pharmacie C")
    for pharmacy, stock, daily in ((a, 20, 10), (b, 100, 5), (c, 0, 4)):
        set_stock(pharmacy, surgical, stock)
        every_day(pharmacy, surgical, daily)
    services.refresh_forecast(today=TODAY)
    return a, b, c


def test_proposals_move_surplus_from_a_neighbour_and_ask_the_region_for_the_rest(scene, surgical):
    a, b, c = scene
    rows = {(p.kind, p.recipient_id, p.sender_id): p.quantity for p in Proposal.objects.all()}
    assert rows == {(ProposalKind.TRANSFER, a.pk, b.pk): 50, (ProposalKind.REGIONAL, c.pk, None): 28}
    transfer = Proposal.objects.get(kind=ProposalKind.TRANSFER)
    assert transfer.distance_km == 0.0


def test_a_sender_is_never_taken_below_seven_days_of_cover(occitanie, surgical):
    a = PharmacyFactory(insee_code=RISCLE, name="Pharmacie A")
    b = PharmacyFactory(insee_code=RISCLE, name="Pharmacie B")
    set_stock(a, surgical, 0)
    every_day(a, surgical, 10)  # needs 70
    set_stock(b, surgical, 40)
    every_day(b, surgical, 5)  # keeps 35: 5 to spare
    services.refresh_forecast(today=TODAY)
    rows = {(p.kind, p.sender_id): p.quantity for p in Proposal.objects.filter(recipient=a)}
    assert rows == {(ProposalKind.TRANSFER, b.pk): 5, (ProposalKind.REGIONAL, None): 65}


def test_a_new_night_replaces_undecided_proposals_but_keeps_decided_ones(scene, ars_occitanie):
    regional = Proposal.objects.get(kind=ProposalKind.REGIONAL)
    services.accept_proposal(actor=ars_occitanie, proposal_id=regional.pk)
    services.refresh_forecast(today=TODAY + timedelta(days=1))
    assert Proposal.objects.filter(pk=regional.pk, status=ProposalStatus.DONE).exists()
    assert Proposal.objects.filter(status=ProposalStatus.PROPOSED).count() >= 1


def test_accepting_a_regional_proposal_creates_the_shipment_once(scene, ars_occitanie):
    _a, _b, c = scene
    proposal = Proposal.objects.get(kind=ProposalKind.REGIONAL)
    done = services.accept_proposal(actor=ars_occitanie, proposal_id=proposal.pk, source="company")
    shipment = Shipment.objects.get()
    assert (shipment.pharmacy_id, shipment.quantity, shipment.source) == (c.pk, 28, "company")
    assert done.status == ProposalStatus.DONE and done.shipment_id == shipment.pk
    with pytest.raises(Conflict):
        services.accept_proposal(actor=ars_occitanie, proposal_id=proposal.pk)
    assert Shipment.objects.count() == 1


def test_an_accepted_transfer_is_sent_by_the_sending_pharmacist_through_transfer_stock(scene, ars_occitanie):
    a, b, _c = scene
    proposal = Proposal.objects.get(kind=ProposalKind.TRANSFER)
    assert (
        services.accept_proposal(actor=ars_occitanie, proposal_id=proposal.pk).status
        == ProposalStatus.ACCEPTED
    )
    assert StockLevel.objects.get(pharmacy=b).on_hand == 100  # nothing moved yet

    services.carry_out_transfer(actor=pharmacist_of(b), proposal_id=proposal.pk)

    assert StockLevel.objects.get(pharmacy=b).on_hand == 50
    assert StockLevel.objects.get(pharmacy=a).on_hand == 70
    out = StockMovement.objects.get(pharmacy=b, kind=MovementKind.TRANSFER_OUT)
    assert Proposal.objects.get(pk=proposal.pk).transfer_movement_id == out.pk
    with pytest.raises(Conflict):
        services.carry_out_transfer(actor=pharmacist_of(b), proposal_id=proposal.pk)
    assert StockLevel.objects.get(pharmacy=b).on_hand == 50


def test_only_a_pharmacist_of_the_sender_may_send_the_transfer(scene, ars_occitanie):
    a, b, _c = scene
    proposal = Proposal.objects.get(kind=ProposalKind.TRANSFER)
    services.accept_proposal(actor=ars_occitanie, proposal_id=proposal.pk)
    with pytest.raises(NotAllowed):
        services.carry_out_transfer(actor=pharmacist_of(a), proposal_id=proposal.pk)
    assert Proposal.objects.get(pk=proposal.pk).status == ProposalStatus.ACCEPTED
    assert StockLevel.objects.get(pharmacy=b).on_hand == 100


def test_an_agent_of_another_region_may_not_decide(scene, ars_paca):
    proposal = Proposal.objects.get(kind=ProposalKind.REGIONAL)
    with pytest.raises(NotAllowed):
        services.accept_proposal(actor=ars_paca, proposal_id=proposal.pk)
    with pytest.raises(NotAllowed):
        services.dismiss_proposal(actor=ars_paca, proposal_id=proposal.pk)
    assert Proposal.objects.get(pk=proposal.pk).status == ProposalStatus.PROPOSED
    assert not Shipment.objects.exists()


def test_dismissing_a_proposal(scene, ars_occitanie):
    proposal = Proposal.objects.get(kind=ProposalKind.TRANSFER)
    services.dismiss_proposal(actor=ars_occitanie, proposal_id=proposal.pk)
    assert Proposal.objects.get(pk=proposal.pk).status == ProposalStatus.DISMISSED
    with pytest.raises(Conflict):
        services.accept_proposal(actor=ars_occitanie, proposal_id=proposal.pk)
