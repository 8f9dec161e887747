"""Demo data of the referrals app (idempotent): care sites of Occitanie with positions, hours,
conditions, a demo manager (site@demo.gomask.fr) and statuses of every kind: fresh, saturated,
stale (over 24 h), silent (over 48 h), closed."""

from datetime import timedelta

from django.utils import timezone

from accounts.demo import demo_account
from accounts.models import Role
from distribution.models import CareSite, CareSiteKind
from gomask.identifiers import make_rpps
from professionals.models import Profession, Professional
from referrals.models import SiteState, SiteStatus, StatusReport
from territories.models import Commune

MANAGER_EMAIL = "site@demo.gomask.fr"

# kind, name, INSEE code, managed by the demo manager, status (state, accepts, hours ago) or None
SITES = [
    (
        CareSiteKind.HEALTH_HOUSE,
        "Maison de santé pluriprofessionnelle de Riscle",
        "32344",
        True,
        ("open", True, 1),
    ),
    (CareSiteKind.COVID_CENTRE, "Centre de consultation COVID d'Auch", "32013", True, ("saturated", True, 3)),
    (CareSiteKind.SSE_CENTRE, "Centre de consultation SSE du Gers", "32013", False, ("open", True, 30)),
    (
        CareSiteKind.HOSPITAL_ENTRY,
        "Centre hospitalier d'Auch : accueil des urgences",
        "32013",
        False,
        ("open", False, 2),
    ),
    (
        CareSiteKind.COVID_CENTRE,
        "Centre de consultation COVID de Toulouse Purpan",
        "31555",
        False,
        ("open", True, 5),
    ),
    (CareSiteKind.HEALTH_CENTRE, "Centre de santé de Toulouse Bagatelle", "31555", False, ("open", True, 60)),
    (
        CareSiteKind.COVID_CENTRE,
        "Centre de consultation COVID de Tarbes",
        "65440",
        False,
        ("closed", False, 4),
    ),
    (
        CareSiteKind.COVID_CENTRE,
        "Centre de consultation COVID de Montpellier",
        "34172",
        False,
        ("open", True, 2),
    ),
    (CareSiteKind.LAB, "Laboratoire de biologie médicale de Nîmes", "30189", False, ("open", True, 8)),
    (CareSiteKind.LAB, "Laboratoire de biologie médicale de Perpignan", "66136", False, None),
    (CareSiteKind.LAB, "Laboratoire de biologie médicale d'Albi", "81004", False, ("open", False, 6)),
]


def _manager():
    user = demo_account(email=MANAGER_EMAIL, role=Role.PROFESSIONAL, first_name="Sophie", last_name="Barrère")
    auch = Commune.objects.get(insee_code="32013")
    Professional.objects.get_or_create(
        rpps=make_rpps(3),
        defaults={
            "user": user,
            "profession": Profession.MEDECIN,
            "first_name": "Sophie",
            "last_name": "Barrère",
            "email": MANAGER_EMAIL,
            "phone": "06 12 34 56 79",
            "practice_address": "10 place de la Libération",
            "practice_commune": auch,
            "latitude": auch.latitude,
            "longitude": auch.longitude,
        },
    )
    return user


def seed() -> list[tuple[str, str]]:
    if not Commune.objects.filter(insee_code="32013").exists():
        return []
    manager = _manager()
    now = timezone.now()
    for index, (kind, name, insee_code, managed, status) in enumerate(SITES):
        commune = Commune.objects.filter(insee_code=insee_code).first()
        if commune is None:
            continue
        site, _created = CareSite.objects.get_or_create(
            kind=kind, name=name, commune=commune, defaults={"region_id": commune.region_id}
        )
        # A few hundred metres apart, so that the sites of one commune are distinct on the map.
        site.latitude = commune.latitude + 0.004 * (index % 3)
        site.longitude = commune.longitude - 0.004 * (index % 2)
        site.phone = site.phone or f"+3356{index:07d}"
        site.email = site.email or f"accueil.site{index}@demo.gomask.fr"
        site.opening_hours = site.opening_hours or "lun.–ven. 8 h–19 h ; sam. 9 h–12 h"
        site.access_conditions = site.access_conditions or (
            "sur indication médicale" if kind in {CareSiteKind.COVID_CENTRE, CareSiteKind.SSE_CENTRE} else ""
        )
        if managed:
            site.manager = manager
        site.save()
        if status is None or SiteStatus.objects.filter(site=site).exists():
            continue
        state, accepts, hours_ago = status
        values = {
            "state": state,
            "accepts_referrals": accepts,
            "capacity_left": 0
            if state == SiteState.SATURATED
            else (None if state == SiteState.CLOSED else 12),
            "covid_track": kind != CareSiteKind.HEALTH_CENTRE,
            "non_covid_track": kind != CareSiteKind.COVID_CENTRE,
            "declared_by": manager if managed else None,
            "declared_at": now - timedelta(hours=hours_ago),
        }
        StatusReport.objects.create(site=site, **values)
        SiteStatus.objects.create(site=site, **values)
    return [("Responsable de site de soins (Auch, Riscle)", MANAGER_EMAIL)]
