"""Demo health professionals with valid RPPS numbers, practising near the demo officines."""

import random

from accounts.demo import demo_account, demo_phone
from accounts.models import Role
from gomask.identifiers import make_rpps
from gomask.text import normalise_for_search
from pharmacies.models import Pharmacy
from professionals.models import Profession, Professional
from territories.models import Commune

# Rough shares of the professions that collect masks at the officine.
_PROFESSION_WEIGHTS = [
    (Profession.INFIRMIER, 35),
    (Profession.MEDECIN, 25),
    (Profession.MASSEUR_KINESITHERAPEUTE, 15),
    (Profession.PHARMACIEN, 10),
    (Profession.CHIRURGIEN_DENTISTE, 7),
    (Profession.SAGE_FEMME, 4),
    (Profession.ORTHOPHONISTE, 2),
    (Profession.PEDICURE_PODOLOGUE, 1),
    (Profession.BIOLOGISTE, 1),
]
_FIRST_NAMES = [
    "Marie",
    "Jean",
    "Claire",
    "Pierre",
    "Sophie",
    "Luc",
    "Julie",
    "Paul",
    "Emma",
    "Hugo",
    "Léa",
    "Louis",
    "Chloé",
    "Nicolas",
    "Inès",
    "Thomas",
    "Camille",
    "Antoine",
    "Sarah",
    "Marc",
]
_LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Lacoste",
    "Garcia",
    "Lafitte",
    "Dupuy",
    "Fabre",
    "Roux",
    "Castaing",
    "Soulé",
    "Lamarque",
    "Barthe",
    "Daguzan",
    "Fourcade",
    "Ducos",
    "Sarrat",
    "Cazenave",
    "Pujol",
    "Vidal",
]
DEMO_SERIAL_BASE = 700_000_000


def seed(*, regions: list[str] | None, rng: random.Random, per_pharmacy: int) -> int:
    pharmacies = Pharmacy.objects.order_by("finess").values_list("commune_id", "latitude", "longitude")
    if regions:
        pharmacies = pharmacies.filter(region_id__in=regions)
    professions = [p for p, _w in _PROFESSION_WEIGHTS]
    weights = [w for _p, w in _PROFESSION_WEIGHTS]
    rows, serial = [], DEMO_SERIAL_BASE
    for commune_id, latitude, longitude in pharmacies.iterator(chunk_size=5000):
        for _ in range(per_pharmacy):
            serial += 1
            first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
            rows.append(
                Professional(
                    rpps=make_rpps(serial),
                    profession=rng.choices(professions, weights)[0],
                    first_name=first,
                    last_name=last,
                    search_name=normalise_for_search(f"{last} {first}"),
                    phone=demo_phone("06", rng),
                    practice_commune_id=commune_id,
                    latitude=latitude + rng.uniform(-0.01, 0.01),
                    longitude=longitude + rng.uniform(-0.01, 0.01),
                )
            )
        if len(rows) >= 5000:
            Professional.objects.bulk_create(rows, ignore_conflicts=True)
            rows = []
    Professional.objects.bulk_create(rows, ignore_conflicts=True)
    return Professional.objects.count()


def seed_accounts() -> list[tuple[str, str]]:
    riscle = Commune.objects.get(insee_code="32344")
    logins = []
    for email, profession, first, last, serial in [
        ("infirmiere@demo.gomask.fr", Profession.INFIRMIER, "Claire", "Lafitte", 1),
        ("medecin@demo.gomask.fr", Profession.MEDECIN, "Marc", "Daguzan", 2),
    ]:
        user = demo_account(email=email, role=Role.PROFESSIONAL, first_name=first, last_name=last)
        Professional.objects.get_or_create(
            rpps=make_rpps(serial),
            defaults={
                "user": user,
                "profession": profession,
                "first_name": first,
                "last_name": last,
                "email": email,
                "phone": "06 12 34 56 78",
                "practice_address": "2 rue du Faubourg",
                "practice_commune": riscle,
                "latitude": riscle.latitude,
                "longitude": riscle.longitude,
            },
        )
        logins.append((f"{Profession(profession).label} (Riscle)", email))
    return logins


def seed_referencings() -> None:
    """The demo nurse's home pharmacy is the demo pharmacist's officine in Riscle (idempotent)."""
    from pharmacies.demo import DEMO_PHARMACY_FINESS
    from professionals.models import Referencing

    nurse = Professional.objects.filter(user__email="infirmiere@demo.gomask.fr").first()
    pharmacy = Pharmacy.objects.filter(finess=DEMO_PHARMACY_FINESS).first()
    if nurse is None or pharmacy is None:
        return
    if not Referencing.objects.filter(professional=nurse, ended_at__isnull=True).exists():
        Referencing.objects.create(professional=nurse, pharmacy=pharmacy)
