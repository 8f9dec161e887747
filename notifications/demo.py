"""Demo data of the notifications app: a CPTS coordinator with a territory and two bulletins."""

from django.utils import timezone

from accounts.demo import demo_account
from accounts.models import Role
from notifications.models import CoordinatorScope, CrisisBulletin, Severity
from territories.models import Commune

RISCLE = "32344"


def seed() -> list[tuple[str, str]]:
    """Idempotent. Bulletins are stored as already sent: the demo does not e-mail anyone."""
    ars = demo_account(
        email="ars@demo.gomask.fr", role=Role.ARS_STAFF, first_name="Inès", last_name="Garcia", region_id="76"
    )
    coordinator = demo_account(
        email="cpts@demo.gomask.fr",
        role=Role.CPTS_COORDINATOR,
        first_name="Hélène",
        last_name="Dupouy",
        region_id="76",
    )
    scope, _created = CoordinatorScope.objects.get_or_create(
        user=coordinator, defaults={"name": "CPTS Adour-Armagnac"}
    )
    epci = Commune.objects.get(insee_code=RISCLE).epci
    if epci is not None:
        scope.epcis.add(epci)
    now = timezone.now()
    public, created = CrisisBulletin.objects.get_or_create(
        title="Masques : priorité aux soignants de ville",
        defaults={
            "body": "Les pharmacies d'officine remettent les masques du stock national aux professionnels "
            "de santé libéraux, sur présentation de leur carte professionnelle, dans la limite du quota "
            "hebdomadaire fixé par le message DGS-urgent.\nLe grand public n'est pas concerné par cette "
            "distribution.",
            "severity": Severity.INFO,
            "is_public": True,
            "region_id": "76",
            "author": ars,
            "author_role": Role.ARS_STAFF,
            "fanout_enqueued_at": now,
            "fanout_done_at": now,
        },
    )
    local, created = CrisisBulletin.objects.get_or_create(
        title="Situation sanitaire exceptionnelle : relais de la CPTS",
        defaults={
            "body": "La CPTS relaie les consignes de l'ARS : signalez-nous toute rupture de masques dans "
            "votre officine de référence.",
            "severity": Severity.WARNING,
            "region_id": "76",
            "author": coordinator,
            "author_role": Role.CPTS_COORDINATOR,
            "fanout_enqueued_at": now,
            "fanout_done_at": now,
        },
    )
    if created and epci is not None:
        local.epcis.add(epci)
    return [("Coordinatrice de CPTS", "cpts@demo.gomask.fr")]
