"""Demo data: the priority zones and sites named by the ARS Occitanie announcement, a
volunteer doctor and a published mission at Riscle in the coming days. Idempotent."""

from datetime import time, timedelta

from django.utils import timezone

from accounts.models import User
from consultations import services
from consultations.models import MissionStatus, PriorityZone, Site, SiteKind, Volunteer
from professionals.models import Professional
from territories.models import Commune

# Each zone is the EPCI of a member commune (INSEE code), so the codes come from the data.
ZONE_MEMBER_COMMUNES = {
    "32344": "Riscle (CC Armagnac Adour)",
    "32233": "Marciac et Plaisance (CC Bastides et Vallons du Gers)",
    "65129": "Castelnau-Magnoac (CC du Pays de Trie et du Magnoac)",
    "82117": "Montaigu-de-Quercy (CC du Pays de Serres en Quercy)",
    "30350": "Le Vigan (CC du Pays Viganais)",
    "81124": "Lacaune (CC du Haut-Languedoc, Tarn et Hérault)",
}

# Addresses are left at the town centre: the announcement does not give them.
SITES = [
    ("Cabinet médical de Riscle", SiteKind.CABINET, "32344"),
    ("Maison de santé de Castelnau-Magnoac", SiteKind.MAISON_DE_SANTE, "65129"),
    ("Maison de santé de Montaigu-de-Quercy", SiteKind.MAISON_DE_SANTE, "82117"),
    ("Maison de santé du Vigan", SiteKind.MAISON_DE_SANTE, "30350"),
    ("Cabinet médical de Marciac", SiteKind.CABINET, "32233"),
    ("Centre de santé départemental de Plaisance", SiteKind.CENTRE_DE_SANTE, "32319"),
]
DEMO_EQUIPMENT = (
    "Bureau de consultation, table d'examen, tensiomètre, ECG, accès internet et lecteur de carte Vitale."
)
DEMO_ACCESS = "Entrée de plain-pied, accessible en fauteuil ; stationnement gratuit sur la place."
DEMO_LODGING = "Gîte communal réservé aux médecins solidaires ; chambre chez l'habitant possible."


def seed(*, ars_email: str = "ars@demo.gomask.fr", doctor_email: str = "medecin@demo.gomask.fr") -> dict:
    today = timezone.localdate()
    ars = User.objects.filter(email=ars_email).first()
    zones = {}
    for insee_code in ZONE_MEMBER_COMMUNES:
        commune = Commune.objects.select_related("epci").get(insee_code=insee_code)
        zone, _created = PriorityZone.objects.get_or_create(
            epci=commune.epci,
            defaults={
                "region_id": commune.epci.region_id or commune.region_id,
                "designated_at": today,
                "designated_by": ars,
            },
        )
        zones[insee_code] = zone
    sites = {}
    for name, kind, insee_code in SITES:
        commune = Commune.objects.select_related("epci").get(insee_code=insee_code)
        site, _created = Site.objects.get_or_create(
            name=name,
            commune=commune,
            defaults={
                "kind": kind,
                "zone": PriorityZone.objects.get(epci=commune.epci),
                "address": "Centre-bourg",
                "latitude": commune.latitude,
                "longitude": commune.longitude,
                "access": DEMO_ACCESS,
                "equipment": DEMO_EQUIPMENT,
                "lodging_options": DEMO_LODGING,
            },
        )
        sites[insee_code] = site
    riscle = sites["32344"]
    nurse = User.objects.filter(email="infirmiere@demo.gomask.fr").first()
    if nurse:
        riscle.coordinators.add(nurse)

    professional = Professional.objects.filter(user__email=doctor_email).select_related("user").first()
    if professional is None or ars is None:
        return {"zones": len(zones), "sites": len(sites), "missions": 0}
    volunteer, created = Volunteer.objects.get_or_create(
        professional=professional, defaults={"max_days_per_month": 2, "needs_lodging": True}
    )
    if created:
        volunteer.zones.add(zones["32344"], zones["32233"])
    if not volunteer.availabilities.filter(end_date__gte=today + timedelta(days=2)).exists():
        services.add_availability(
            user=professional.user, start_date=today, end_date=today + timedelta(days=60)
        )
    has_mission = volunteer.missions.filter(site=riscle, end_date__gte=today).exclude(
        status=MissionStatus.CANCELLED
    )
    if not has_mission.exists():
        day = today + timedelta(days=1)
        mission = services.create_mission(
            user=ars, volunteer_id=volunteer.pk, site_id=riscle.pk, start_date=day, end_date=day
        )
        services.confirm_lodging(user=ars, mission_id=mission.pk, lodging_note=DEMO_LODGING)
        services.publish_slots(
            user=ars,
            mission_id=mission.pk,
            day_start=time(9, 0),
            day_end=time(17, 0),
            break_start=time(12, 0),
            break_end=time(13, 30),
        )
    _seed_alerts(riscle)
    return {"zones": len(zones), "sites": len(sites), "missions": volunteer.missions.count()}


def _seed_alerts(site) -> None:
    """Two pending "tell me when a slot opens" alerts (admin: Alertes créneaux)."""
    from consultations import alerts
    from consultations.models import WaitingListEntry

    if WaitingListEntry.objects.filter(notified_at__isnull=True).exists():
        return
    alerts.join_waiting_list(site_id=site.pk, email="alerte.patient@demo.gomask.fr")
    alerts.join_waiting_list(commune=site.commune, phone="06 12 34 56 79")
