"""Demo data of the distribution app (idempotent): quota policies, COVID centres and labs in
Occitanie with a few shipments, and a short history for the demo nurse."""

from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from distribution import services
from distribution.models import CareSite, CareSiteKind, Dispensation, Shipment
from distribution.quotas import ensure_default_quota_policies
from gomask.errors import DomainError
from pharmacies.demo import DEMO_PHARMACY_FINESS
from pharmacies.models import Pharmacy
from territories.models import Commune

CARE_SITES = [
    (CareSiteKind.COVID_CENTRE, "Centre de consultation COVID de Toulouse Purpan", "31555"),
    (CareSiteKind.COVID_CENTRE, "Centre de consultation COVID de Montpellier", "34172"),
    (CareSiteKind.COVID_CENTRE, "Centre de consultation COVID d'Auch", "32013"),
    (CareSiteKind.COVID_CENTRE, "Centre de consultation COVID de Tarbes", "65440"),
    (CareSiteKind.LAB, "Laboratoire de biologie médicale de Nîmes", "30189"),
    (CareSiteKind.LAB, "Laboratoire de biologie médicale de Perpignan", "66136"),
    (CareSiteKind.LAB, "Laboratoire de biologie médicale d'Albi", "81004"),
]


def seed() -> None:
    ensure_default_quota_policies()
    sites = _care_sites()
    ars = User.objects.filter(email="ars@demo.gomask.fr").first()
    if ars is not None and sites and not Shipment.objects.exists():
        first = services.create_shipment(
            actor=ars, product_code="surgical", quantity=2000, source="national", care_site_id=sites[0].pk
        )
        services.record_care_site_receipt(actor=ars, shipment_id=first.pk)
        services.create_shipment(
            actor=ars, product_code="ffp2", quantity=500, source="company", care_site_id=sites[-1].pk
        )
        pharmacy = Pharmacy.objects.filter(finess=DEMO_PHARMACY_FINESS).first()
        if pharmacy is not None:
            services.create_shipment(
                actor=ars,
                product_code="surgical",
                quantity=300,
                source="local_authority",
                pharmacy_id=pharmacy.pk,
            )
    _nurse_history()


def _care_sites() -> list[CareSite]:
    sites = []
    for kind, name, insee_code in CARE_SITES:
        commune = Commune.objects.filter(insee_code=insee_code).first()
        if commune is None:
            continue
        site, _created = CareSite.objects.get_or_create(
            kind=kind, name=name, commune=commune, defaults={"region_id": commune.region_id}
        )
        sites.append(site)
    return sites


def _nurse_history() -> None:
    """Two past handovers and an active option for infirmiere@demo.gomask.fr (once: idempotent)."""
    nurse = User.objects.filter(email="infirmiere@demo.gomask.fr").first()
    pharmacist = User.objects.filter(email="pharmacien@demo.gomask.fr").first()
    pharmacy = Pharmacy.objects.filter(finess=DEMO_PHARMACY_FINESS).first()
    if not (nurse and pharmacist and pharmacy and hasattr(nurse, "professional")):
        return
    if Dispensation.objects.filter(professional=nurse.professional, dispensed_by=pharmacist).exists():
        return
    now = timezone.now()
    try:
        for weeks_ago, quantity in [(2, 18), (1, 12)]:
            services.dispense(
                actor=pharmacist,
                pharmacy_id=pharmacy.pk,
                professional_id=nurse.professional.pk,
                product_code="surgical",
                quantity=quantity,
                identity_checked=True,
                now=now - timedelta(weeks=weeks_ago),
            )
        services.reserve(
            actor=nurse,
            pharmacy_id=pharmacy.pk,
            product_code="surgical",
            quantity=6,
        )
    except DomainError:
        # Not enough demo stock or an option already there: the demo stays usable without them.
        pass
