"""Personas of the second-line specialists: a nurse in Riscle asks; a cardiologist in Nogaro
(about 12 km away), one in Auch (about 55 km) and one in Toulouse (beyond 120 km) may answer."""

import pytest

from professionals.models import Profession
from specialists import services
from tests.factories import professional_user

RISCLE, NOGARO, AUCH, TOULOUSE = "32344", "32296", "32013", "31555"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40
QUESTION = "Patient de 67 ans, souffle systolique nouveau : faut-il un échocardiogramme rapide ?"


def specialist(insee_code, email, *, specialty="SM04", radius_km=150, opt_in=True):
    user = professional_user(
        profession=Profession.MEDECIN,
        insee_code=insee_code,
        email=email,
        last_name=email.split("@")[0].title(),
    )
    professional = user.professional
    professional.specialty_code = specialty
    professional.specialty_label = "Cardiologie et maladies vasculaires"
    professional.save()
    if opt_in:
        services.save_profile(user=user, is_active=True, radius_km=radius_km, response_hours=24)
    return user


@pytest.fixture
def cardiologist_nogaro(occitanie):
    return specialist(NOGARO, "cardio.nogaro@exemple.fr")


@pytest.fixture
def cardiologist_auch(occitanie):
    return specialist(AUCH, "cardio.auch@exemple.fr")


@pytest.fixture
def cardiologist_toulouse(occitanie):
    return specialist(TOULOUSE, "cardio.toulouse@exemple.fr")


@pytest.fixture
def other_nurse(occitanie):
    return professional_user(insee_code=RISCLE, email="autre.infirmier@exemple.fr")


def send(user, *, files=(), specialty="SM04", urgency="day", question=QUESTION, now=None):
    return services.send_request(
        user=user, specialty=specialty, urgency=urgency, question=question, files=list(files), now=now
    )
