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


# --- Stock ------------------------------------------------------------------------------------
# Most officines have surgical masks, fewer have FFP2, a few declared themselves sold out.
# Each level gets one arrival movement of the same quantity, so level == ledger.

SURGICAL_SHARE = 0.85
FFP2_SHARE = 0.55
SOLD_OUT_SHARE = 0.05
DEMO_PHARMACY_STOCK = {"surgical": 240, "ffp2": 60}


def _demo_quantity(product_code: str, rng: random.Random) -> int:
    if product_code == "ffp2":
        return rng.choice([rng.randint(5, 29), rng.randint(30, 99), rng.randint(100, 200)])
    return rng.choice([rng.randint(5, 29), rng.randint(30, 99), rng.randint(100, 600), rng.randint(100, 600)])


def seed_stock(*, regions: list[str] | None) -> int:
    """Stock levels and their arrival movements for pharmacies that have none yet (idempotent:
    each pharmacy's draw depends on its FINESS number only, so a second run adds nothing)."""
    from django.utils import timezone

    from pharmacies.catalogue import ensure_products
    from pharmacies.models import ArrivalSource, MovementKind, Product, StockLevel, StockMovement

    ensure_products()
    products = {product.code: product for product in Product.objects.filter(code__in=["surgical", "ffp2"])}
    stocked = set(StockLevel.objects.values_list("pharmacy_id", flat=True).distinct())
    pharmacies = Pharmacy.objects.order_by("finess").values_list("pk", "finess")
    if regions:
        pharmacies = pharmacies.filter(region_id__in=regions)
    sources = [ArrivalSource.NATIONAL, ArrivalSource.REGIONAL, ArrivalSource.COMPANY_DONATION]
    now = timezone.now()
    created = 0
    batch: list[tuple[StockLevel, str]] = []

    def flush():
        levels = StockLevel.objects.bulk_create([level for level, _source in batch], batch_size=2000)
        StockMovement.objects.bulk_create(
            [
                StockMovement(
                    level=level,
                    pharmacy_id=level.pharmacy_id,
                    product_id=level.product_id,
                    kind=MovementKind.ARRIVAL,
                    on_hand_delta=level.on_hand,
                    on_hand_after=level.on_hand,
                    reserved_after=0,
                    source=source,
                    reason="Données de démonstration",
                )
                for level, (_level, source) in zip(levels, batch, strict=True)
            ],
            batch_size=2000,
        )
        batch.clear()

    for pharmacy_id, finess in pharmacies.iterator(chunk_size=5000):
        if pharmacy_id in stocked:
            continue
        rng = random.Random(f"demo-stock-{finess}")
        for code, share in [("surgical", SURGICAL_SHARE), ("ffp2", FFP2_SHARE)]:
            if finess == DEMO_PHARMACY_FINESS:
                quantity = DEMO_PHARMACY_STOCK[code]
            elif rng.random() < share:
                quantity = _demo_quantity(code, rng)
            else:
                continue
            sold_out = finess != DEMO_PHARMACY_FINESS and rng.random() < SOLD_OUT_SHARE
            level = StockLevel(
                pharmacy_id=pharmacy_id,
                product=products[code],
                on_hand=quantity,
                sold_out_at=now if sold_out else None,
            )
            batch.append((level, rng.choice(sources)))
            created += 1
        if len(batch) >= 5000:
            flush()
    if batch:
        flush()
    return created
