"""Demo officines: real communes, in proportion to population (about one per 3,400 people)."""

import random

from django.db.models import QuerySet

from accounts.demo import demo_account, demo_phone
from accounts.models import Role
from gomask.identifiers import make_finess
from pharmacies.models import MembershipStatus, Pharmacy, PharmacyMembership, PositionPrecision
from territories.models import Commune

INHABITANTS_PER_PHARMACY = 3400
DEMO_PHARMACY_FINESS = make_finess("32", 1)  # Riscle, the demo pharmacist's officine
_NAMES = [
    "Pharmacie du Centre",
    "Pharmacie de la Mairie",
    "Pharmacie des Halles",
    "Pharmacie du Marché",
    "Pharmacie de la Gare",
    "Pharmacie Saint-Jacques",
    "Pharmacie des Arcades",
    "Pharmacie du Pont",
    "Pharmacie de l'Église",
    "Pharmacie du Parc",
]
_STREETS = [
    "place de la Mairie",
    "rue de la République",
    "avenue Jean Jaurès",
    "rue du Marché",
    "boulevard Gambetta",
    "rue Victor Hugo",
    "place du Foirail",
    "grande rue",
]


def communes_in(regions: list[str] | None) -> QuerySet[Commune]:
    communes = Commune.objects.order_by("insee_code")
    return communes.filter(region_id__in=regions) if regions else communes


def pharmacy_sites(communes) -> list[Commune]:
    """One site each time cumulative population crosses another 3,400 inhabitants."""
    sites, cumulated = [], 0
    for commune in communes:
        before = cumulated // INHABITANTS_PER_PHARMACY
        cumulated += commune.population
        sites.extend([commune] * (cumulated // INHABITANTS_PER_PHARMACY - before))
    return sites


def seed(*, regions: list[str] | None, rng: random.Random) -> int:
    communes = communes_in(regions).only(
        "insee_code", "name", "population", "latitude", "longitude", "departement_id", "region_id"
    )
    riscle = Commune.objects.get(insee_code="32344")
    rows = [_pharmacy(riscle, DEMO_PHARMACY_FINESS, "Pharmacie de l'Adour", rng)]
    serial_by_departement: dict[str, int] = {}
    for commune in pharmacy_sites(communes.iterator(chunk_size=5000)):
        serial = serial_by_departement.get(commune.departement_id, 100) + 1
        serial_by_departement[commune.departement_id] = serial
        name = f"{rng.choice(_NAMES)} — {commune.name}"
        rows.append(_pharmacy(commune, make_finess(commune.departement_id, serial), name, rng))
    Pharmacy.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return Pharmacy.objects.filter(region_id__in=regions).count() if regions else Pharmacy.objects.count()


def _pharmacy(commune: Commune, finess: str, name: str, rng: random.Random) -> Pharmacy:
    # Within ~1 km of the commune's centre: demo positions, not real addresses.
    return Pharmacy(
        finess=finess,
        name=name,
        address=f"{rng.randint(1, 40)} {rng.choice(_STREETS)}",
        commune=commune,
        departement_id=commune.departement_id,
        region_id=commune.region_id,
        latitude=commune.latitude + rng.uniform(-0.008, 0.008),
        longitude=commune.longitude + rng.uniform(-0.008, 0.008),
        position_precision=PositionPrecision.COMMUNE,
        phone=demo_phone("05", rng),
    )


def seed_accounts() -> list[tuple[str, str]]:
    pharmacy = Pharmacy.objects.get(finess=DEMO_PHARMACY_FINESS)
    pharmacist = demo_account(
        email="pharmacien@demo.gomask.fr", role=Role.PHARMACIST, first_name="Jean", last_name="Lacoste"
    )
    PharmacyMembership.objects.get_or_create(
        user=pharmacist, pharmacy=pharmacy, defaults={"is_owner": True, "status": MembershipStatus.ACTIVE}
    )
    return [("Pharmacien (Riscle)", pharmacist.email)]
