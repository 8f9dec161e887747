"""Demo data of the crisis console: an open drill (EXERCICE) on the demo CPTS territory, with a
bulletin already delivered, a few acknowledgements, a census and an open request for
reinforcement that the demo nurse was asked for. Idempotent; nothing is sent (the demo
deliveries are stored as already sent)."""

from datetime import timedelta

from django.utils import timezone

from crisis import selectors
from crisis.models import (
    Acknowledgement,
    Activation,
    ActivationBulletin,
    Availability,
    Decision,
    Level,
    OrsanTrack,
    ReinforcementRequest,
    RequestCall,
)
from notifications.models import (
    Channel,
    CoordinatorScope,
    CrisisBulletin,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Severity,
)
from notifications.tokens import acknowledge_path
from professionals.models import Profession

SUMMARY = "Exercice canicule : renfort des soins à domicile auprès des personnes âgées isolées."


def seed() -> None:
    scope = CoordinatorScope.objects.filter(user__email="cpts@demo.gomask.fr").select_related("user").first()
    if scope is None or Activation.objects.filter(territory=scope, summary=SUMMARY).exists():
        return
    coordinator = scope.user
    now = timezone.now()
    activation = Activation.objects.create(
        territory=scope,
        region_id=coordinator.region_id,
        level=Level.ALERT,
        track=OrsanTrack.CLIM,
        summary=SUMMARY,
        is_drill=True,
        started_at=now - timedelta(hours=3),
        activated_by=coordinator,
        activated_role=coordinator.role,
    )
    Decision.objects.create(
        activation=activation, author=coordinator, text="Activation de l'exercice (niveau 2)."
    )
    bulletin = CrisisBulletin.objects.create(
        title="Canicule : repérez vos patients fragiles",
        body="Exercice : appelez vos patients âgés isolés et signalez à la CPTS "
        "ceux qui ont besoin d'une visite.",
        severity=Severity.WARNING,
        is_drill=True,
        region_id=coordinator.region_id,
        author=coordinator,
        author_role=coordinator.role,
        fanout_enqueued_at=now,
        fanout_done_at=now,
    )
    bulletin.epcis.set(scope.epcis.all())
    bulletin.communes.set(scope.communes.all())
    ActivationBulletin.objects.create(activation=activation, bulletin=bulletin)
    Decision.objects.create(
        activation=activation, author=coordinator, text=f"Bulletin publié : {bulletin.title}"
    )
    professionals = list(selectors.territory_professionals(scope).order_by("pk")[:40])
    deliveries = []
    for index, professional in enumerate(professionals):
        if index % 5 == 4:
            continue  # one in five not reached: the console lists them
        deliveries.append(
            Delivery(
                delivery_key=f"bulletin:{bulletin.pk}:{professional.pk}:email",
                kind=DeliveryKind.BULLETIN,
                channel=Channel.EMAIL,
                status=DeliveryStatus.SENT,
                professional=professional,
                address=professional.email or "demo@demo.gomask.fr",
                bulletin=bulletin,
                subject=f"[EXERCICE] [Vigilance] {bulletin.title}",
                body=bulletin.body,
                url=acknowledge_path(
                    bulletin_id=bulletin.pk, professional_id=professional.pk, channel="email"
                ),
                next_attempt_at=now,
                sent_at=now,
            )
        )
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    for minutes, delivery in zip([4, 9, 17, 26, 41, 75], deliveries[::2], strict=False):
        ack = Acknowledgement.objects.create(
            bulletin=bulletin, professional=delivery.professional, channel="email"
        )
        Acknowledgement.objects.filter(pk=ack.pk).update(
            acknowledged_at=bulletin.published_at + timedelta(minutes=minutes)
        )
    nurses = [p for p in professionals if p.profession == Profession.INFIRMIER]
    demo_nurse = next((p for p in professionals if p.email == "infirmiere@demo.gomask.fr"), None)
    if demo_nurse is not None and demo_nurse not in nurses:
        nurses.insert(0, demo_nurse)
    for index, professional in enumerate(
        nurses[:5] + [p for p in professionals if p.profession == Profession.MEDECIN][:2]
    ):
        Availability.objects.create(
            activation=activation,
            professional=professional,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=10 + index),
            commune=professional.practice_commune,
            skills="vaccination, soins à domicile" if index % 2 == 0 else "",
        )
    riscle_commune = demo_nurse.practice_commune if demo_nurse else scope.epcis.first().communes.first()
    request = ReinforcementRequest.objects.create(
        activation=activation,
        place="Salle des fêtes (point d'hydratation)",
        commune=riscle_commune,
        starts_at=now + timedelta(hours=2),
        ends_at=now + timedelta(hours=6),
        profession=Profession.INFIRMIER,
        needed=1,
        is_drill=True,
        radius_km=10,
        last_asked_at=now,
        requested_by=coordinator,
    )
    RequestCall.objects.bulk_create(
        [
            RequestCall(request=request, professional=professional, radius_km=10)
            for professional in nurses[:5]
        ],
        ignore_conflicts=True,
    )
    Decision.objects.create(
        activation=activation, author=coordinator, text="Demande de renfort : 1 infirmier."
    )
