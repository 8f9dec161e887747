"""Demo data of the specialists app: a cardiologist in Nogaro who opted in, a request of the
demo nurse that she answered, and a request of the demo doctor still on offer.

Written directly (not through the services): the demo e-mails nobody. Idempotent.
"""

from datetime import timedelta

from django.utils import timezone

from accounts.demo import demo_account
from accounts.models import Role
from gomask.identifiers import make_rpps
from professionals.models import Profession, Professional
from specialists import crypto
from specialists.models import AdviceRequest, RequestStatus, SpecialistProfile, Urgency
from territories.models import Commune

NOGARO = "32296"
SPECIALIST_EMAIL = "cardiologue@demo.gomask.fr"


def seed() -> list[tuple[str, str]]:
    nogaro = Commune.objects.filter(insee_code=NOGARO).first()
    nurse = Professional.objects.filter(user__email="infirmiere@demo.gomask.fr").first()
    doctor = Professional.objects.filter(user__email="medecin@demo.gomask.fr").first()
    if nogaro is None or nurse is None:
        return []
    user = demo_account(
        email=SPECIALIST_EMAIL, role=Role.PROFESSIONAL, first_name="Sophie", last_name="Lacoste"
    )
    cardiologist, _created = Professional.objects.get_or_create(
        rpps=make_rpps(900_001),
        defaults={
            "user": user,
            "profession": Profession.MEDECIN,
            "first_name": "Sophie",
            "last_name": "Lacoste",
            "email": SPECIALIST_EMAIL,
            "practice_address": "4 place de la Mairie",
            "practice_commune": nogaro,
            "latitude": nogaro.latitude,
            "longitude": nogaro.longitude,
            "directory_profession_code": "10",
            "specialty_code": "SM04",
            "specialty_label": "Cardiologie et maladies vasculaires",
        },
    )
    SpecialistProfile.objects.get_or_create(
        professional=cardiologist, defaults={"specialty": "SM04", "radius_km": 60, "response_hours": 24}
    )
    if not AdviceRequest.objects.filter(requester=nurse).exists():
        sent = timezone.now() - timedelta(days=1, hours=3)
        AdviceRequest.objects.create(
            requester=nurse,
            specialty="SM04",
            urgency=Urgency.DAY,
            status=RequestStatus.ANSWERED,
            commune=nurse.practice_commune,
            radius_km=30,
            circle_started_at=sent,
            question_token=crypto.encrypt_text(
                "Patiente de 78 ans sous anticoagulant, œdèmes des chevilles depuis une semaine et "
                "essoufflement à l'effort : faut-il une consultation de cardiologie rapide ?"
            ),
            answer_token=crypto.encrypt_text(
                "Oui : dosage du NT-proBNP et ECG dès que possible, puis consultation dans la semaine. "
                "Appelez-moi au cabinet si les symptômes s'aggravent."
            ),
            accepted_by=cardiologist,
            created_at=sent,
            accepted_at=sent + timedelta(minutes=25),
            answered_at=sent + timedelta(hours=2),
        )
    if doctor is not None and not AdviceRequest.objects.filter(requester=doctor).exists():
        now = timezone.now()
        AdviceRequest.objects.create(
            requester=doctor,
            specialty="SM04",
            urgency=Urgency.ROUTINE,
            commune=doctor.practice_commune,
            radius_km=30,
            circle_started_at=now,
            question_token=crypto.encrypt_text(
                "Patient de 55 ans, souffle systolique découvert à l'examen, asymptomatique : "
                "échocardiographie à programmer ?"
            ),
            created_at=now,
        )
    return [("Cardiologue, avis spécialisé (Nogaro)", SPECIALIST_EMAIL)]
