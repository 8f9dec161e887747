import pytest
from django.urls import reverse

from accounts.models import AccountStatus, Role, User
from gomask.identifiers import make_rpps
from pharmacies.models import MembershipStatus, PharmacyMembership
from professionals.models import Professional

pytestmark = pytest.mark.django_db

BASE = {
    "email": "nouvelle@exemple.fr",
    "password1": "Un-mot-de-passe-solide-2020",
    "password2": "Un-mot-de-passe-solide-2020",
    "first_name": "Léa",
    "last_name": "Soulé",
    "phone": "06 12 34 56 78",
}


def _signup(client, **fields):
    return client.post(reverse("account_signup"), {**BASE, **fields})


def test_a_professional_signs_up_and_waits_for_validation(client, occitanie):
    rpps = make_rpps(98765)
    response = _signup(
        client,
        account_type="professional",
        profession="infirmier",
        identifier=rpps,
        practice_commune="Riscle",
        practice_address="3 rue du Moulin",
    )
    assert response.status_code == 302
    user = User.objects.get(email=BASE["email"])
    assert user.role == Role.PROFESSIONAL
    assert user.status == AccountStatus.PENDING
    professional = Professional.objects.get(user=user)
    assert professional.rpps == rpps
    assert professional.practice_commune_id == "32344"


def test_a_professional_with_an_invalid_rpps_is_refused_and_nothing_is_written(client, occitanie):
    bad = make_rpps(98765)[:-1] + str((int(make_rpps(98765)[-1]) + 1) % 10)
    response = _signup(
        client, account_type="professional", profession="infirmier", identifier=bad, practice_commune="32400"
    )
    assert response.status_code == 200
    assert "clé de contrôle" in response.content.decode()
    assert not User.objects.filter(email=BASE["email"]).exists()
    assert not Professional.objects.exists()


def test_a_professional_must_give_an_identifier(client, occitanie):
    response = _signup(client, account_type="professional", profession="medecin", practice_commune="32400")
    assert response.status_code == 200
    assert "obligatoire pour un professionnel" in response.content.decode()
    assert not User.objects.filter(email=BASE["email"]).exists()


def test_a_pharmacist_signs_up_for_a_registered_pharmacy(client, riscle_pharmacy):
    response = _signup(client, account_type="pharmacist", finess=riscle_pharmacy.finess)
    assert response.status_code == 302
    user = User.objects.get(email=BASE["email"])
    assert user.status == AccountStatus.PENDING
    membership = PharmacyMembership.objects.get(user=user)
    assert membership.pharmacy == riscle_pharmacy
    assert membership.status == MembershipStatus.PENDING


def test_a_pharmacist_with_an_unknown_finess_is_refused(client, occitanie):
    from gomask.identifiers import make_finess

    response = _signup(client, account_type="pharmacist", finess=make_finess("32", 999))
    assert response.status_code == 200
    assert "Aucune officine" in response.content.decode()
    assert not User.objects.filter(email=BASE["email"]).exists()


def test_a_patient_account_is_active_at_once(client, occitanie):
    _signup(client, account_type="patient")
    assert User.objects.get(email=BASE["email"]).status == AccountStatus.ACTIVE


def test_a_postal_code_shared_by_several_communes_asks_to_choose(client, occitanie):
    response = _signup(
        client,
        account_type="professional",
        profession="infirmier",
        identifier=make_rpps(5),
        practice_commune="32400",
    )
    assert response.status_code == 200
    assert "Plusieurs communes correspondent" in response.content.decode()
    assert 'value="Riscle (32400)"' in response.content.decode()  # a button to click, no INSEE code
