"""Open-data personas: two open pharmacies (Riscle, Toulouse) with stock, a closed one, care
sites, and a solidarity-consultation site in Riscle with a published mission."""

import pytest

from distribution.models import CareSite, CareSiteKind
from opendata import feeds
from pharmacies import services as stock
from tests.consultations.conftest import make_mission, make_site, make_volunteer, publish
from tests.factories import PharmacyFactory, commune, pharmacist_of, professional_user

RISCLE = "32344"
TOULOUSE = "31555"


@pytest.fixture
def clock(monkeypatch):
    """The feeds' clock, moved forward by the test (`clock.advance(seconds)`)."""

    class Clock:
        def __init__(self):
            self.now = 1_800_000_000.0

        def advance(self, seconds: float) -> None:
            self.now += seconds

    fake = Clock()
    monkeypatch.setattr(feeds, "now", lambda: fake.now)
    return fake


def arrive(pharmacist, pharmacy, product: str, quantity: int):
    return stock.declare_arrival(
        actor=pharmacist, pharmacy_id=pharmacy.pk, product_code=product, quantity=quantity, source="national"
    )


@pytest.fixture
def stocked(products, riscle_pharmacy, riscle_pharmacist, toulouse_pharmacy, toulouse_pharmacist):
    """Riscle: 40 surgical masks, no FFP2. Toulouse: 150 FFP2 declared sold out, 250 surgical.
    A closed pharmacy in Riscle with 500 surgical masks."""
    arrive(riscle_pharmacist, riscle_pharmacy, "surgical", 40)
    arrive(toulouse_pharmacist, toulouse_pharmacy, "ffp2", 150)
    stock.mark_sold_out(actor=toulouse_pharmacist, pharmacy_id=toulouse_pharmacy.pk, product_code="ffp2")
    arrive(toulouse_pharmacist, toulouse_pharmacy, "surgical", 250)
    closed = PharmacyFactory(
        insee_code=RISCLE, name="Pharmacie fermée de Riscle", email="officine@exemple.fr"
    )
    closed_pharmacist = pharmacist_of(closed, email="ancien.titulaire@exemple.fr", last_name="Cazaubon")
    arrive(closed_pharmacist, closed, "surgical", 500)
    closed.is_active = False
    closed.save(update_fields=["is_active"])
    return {"riscle": riscle_pharmacy, "toulouse": toulouse_pharmacy, "closed": closed}


@pytest.fixture
def care_sites(db, occitanie):
    riscle, toulouse = commune(RISCLE), commune(TOULOUSE)
    return {
        "covid": CareSite.objects.create(
            kind=CareSiteKind.COVID_CENTRE, name="Centre COVID de Riscle", commune=riscle, region_id="76"
        ),
        "lab": CareSite.objects.create(
            kind=CareSiteKind.LAB,
            name="Laboratoire du Capitole",
            address="3 rue du Taur",
            commune=toulouse,
            region_id="76",
        ),
        "closed": CareSite.objects.create(
            kind=CareSiteKind.LAB, name="Laboratoire fermé", commune=toulouse, region_id="76", is_active=False
        ),
    }


@pytest.fixture
def consultation_site(db, occitanie, ars_occitanie):
    """A site in Riscle with a published one-day mission (9:00-13:00, 20-minute slots: 12)."""
    from professionals.models import Profession

    site = make_site(RISCLE, "Cabinet médical de Riscle")
    doctor = professional_user(
        profession=Profession.MEDECIN,
        email="medecin.solidaire@exemple.fr",
        first_name="Marc",
        last_name="Daguzan",
    )
    volunteer = make_volunteer(doctor, site)
    mission = publish(make_mission(volunteer, site, ars_occitanie, days_ahead=2), ars_occitanie)
    return {"site": site, "mission": mission, "slots": list(mission.slots.order_by("starts_at"))}
