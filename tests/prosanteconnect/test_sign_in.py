"""Sign-in with Pro Santé Connect against a local OpenID Connect provider (no internet).

The local provider (tests/prosanteconnect/mock_provider.py) issues claims shaped like the
service's: SubjectNameID (8 + RPPS, 0 + ADELI), SubjectRefPro with the exercices and their
profession codes, acr "eidas1"; its userinfo may be JSON or a signed JWT.
"""

import html
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from accounts.models import AccountStatus, Role, User
from tests.factories import ProfessionalFactory, UserFactory, enrol_totp, professional_user
from tests.prosanteconnect.fixtures import LOGIN_URL, sign_in
from tests.prosanteconnect.mock_provider import national_claims

pytestmark = pytest.mark.django_db

RPPS = "10000000009"  # Luhn-valid
ADELI = "329876543"


def _directory_professional(occitanie, **fields):
    return ProfessionalFactory(directory_seen_at=timezone.now(), user=None, **fields)


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_authorize_request_asks_for_scope_all_and_acr_eidas1(client, mock_psc):
    response = client.post(LOGIN_URL)
    query = parse_qs(urlsplit(response["Location"]).query)
    assert set(query["scope"][0].split()) == {"openid", "scope_all"}
    assert query["acr_values"] == ["eidas1"]


def test_acr_values_cannot_be_replaced_through_the_login_url(client, mock_psc):
    response = client.post(f"{LOGIN_URL}?auth_params=acr_values%3Deidas0")
    assert parse_qs(urlsplit(response["Location"]).query)["acr_values"] == ["eidas1"]


def test_a_professional_of_the_directory_is_validated_and_linked_at_once(client, mock_psc, occitanie):
    professional = _directory_professional(occitanie, rpps=RPPS)
    mock_psc.add_user("psc-known", national_claims("8" + RPPS, email="marie.curie@exemple.fr"))

    response = sign_in(client, mock_psc, "psc-known")

    assert response.status_code == 302
    user = User.objects.get(email="marie.curie@exemple.fr")
    assert (user.role, user.status, user.first_name, user.last_name) == (
        Role.PROFESSIONAL,
        AccountStatus.ACTIVE,
        "Marie",
        "Curie",
    )
    professional.refresh_from_db()
    assert professional.user == user
    assert user.socialaccount_set.get().uid == "8" + RPPS
    assert any("votre compte est validé" in text for text in _messages(response))
    # Signed in and validated: the professional's own pages open.
    assert client.get("/professionnel/").status_code in {200, 302}
    assert int(client.session["_auth_user_id"]) == user.pk


def test_a_professional_identified_by_adeli_is_found_too(client, mock_psc, occitanie):
    professional = _directory_professional(occitanie, rpps=None, adeli=ADELI)
    mock_psc.add_user("psc-adeli", national_claims("0" + ADELI, profession="60", email="ide@exemple.fr"))

    sign_in(client, mock_psc, "psc-adeli")

    professional.refresh_from_db()
    assert professional.user.email == "ide@exemple.fr"
    assert professional.user.status == AccountStatus.ACTIVE


def test_an_unknown_rpps_is_kept_pending_and_told_why(client, mock_psc, occitanie):
    mock_psc.add_user("psc-unknown", national_claims("8" + RPPS, email="inconnu@exemple.fr"))

    response = sign_in(client, mock_psc, "psc-unknown")

    user = User.objects.get(email="inconnu@exemple.fr")
    assert (user.role, user.status) == (Role.PROFESSIONAL, AccountStatus.PENDING)
    assert any(
        f"RPPS {RPPS}" in text and "Médecin" in text and "en attente de validation" in text
        for text in _messages(response)
    )
    page = client.get("/professionnel/")
    assert page.status_code == 403


def test_a_rpps_that_came_from_a_sign_up_form_is_not_the_directory(client, mock_psc, occitanie):
    """A record typed in at sign-up (never seen in the directory) does not validate anyone."""
    doctor = professional_user(email="docteur@exemple.fr", status=AccountStatus.PENDING)
    doctor.professional.rpps = RPPS
    doctor.professional.save()
    mock_psc.add_user("psc-self", national_claims("8" + RPPS, email="autre@exemple.fr"))

    response = sign_in(client, mock_psc, "psc-self")

    assert response.status_code == 403
    assert not User.objects.filter(email="autre@exemple.fr").exists()


def test_a_wrong_acr_is_refused_with_a_clear_message(client, mock_psc, occitanie):
    _directory_professional(occitanie, rpps=RPPS)
    mock_psc.add_user("psc-weak", national_claims("8" + RPPS, acr="eidas0", email="faible@exemple.fr"))

    response = sign_in(client, mock_psc, "psc-weak")

    assert response.status_code == 403
    text = _text(response)
    assert "carte CPS ou e-CPS" in text and "eidas0" in text
    assert not User.objects.filter(email="faible@exemple.fr").exists()
    assert "_auth_user_id" not in client.session


def test_a_missing_acr_is_refused(client, mock_psc, occitanie):
    mock_psc.add_user("psc-noacr", national_claims("8" + RPPS, acr=None, email="sansacr@exemple.fr"))

    response = sign_in(client, mock_psc, "psc-noacr")

    assert response.status_code == 403
    assert not User.objects.filter(email="sansacr@exemple.fr").exists()


def test_a_tampered_id_token_is_refused(client, mock_psc, occitanie):
    _directory_professional(occitanie, rpps=RPPS)
    mock_psc.add_user("psc-tamper", national_claims("8" + RPPS, email="falsifie@exemple.fr"))
    mock_psc.behaviour["tamper"] = "id_token"

    response = sign_in(client, mock_psc, "psc-tamper")

    assert response.status_code == 403
    assert "jeton invalide, altéré ou expiré" in _text(response)
    assert not User.objects.filter(email="falsifie@exemple.fr").exists()
    assert "_auth_user_id" not in client.session


def test_a_userinfo_answered_as_a_signed_jwt_is_accepted(client, mock_psc, occitanie):
    professional = _directory_professional(occitanie, rpps=RPPS)
    mock_psc.add_user("psc-jwt", national_claims("8" + RPPS, email="jwt@exemple.fr"))
    mock_psc.behaviour["userinfo"] = "jwt"

    sign_in(client, mock_psc, "psc-jwt")

    professional.refresh_from_db()
    assert professional.user.email == "jwt@exemple.fr"
    assert professional.user.status == AccountStatus.ACTIVE


def test_a_userinfo_jwt_with_a_broken_signature_is_refused(client, mock_psc, occitanie):
    _directory_professional(occitanie, rpps=RPPS)
    mock_psc.add_user("psc-jwt-bad", national_claims("8" + RPPS, email="jwtfaux@exemple.fr"))
    mock_psc.behaviour.update(userinfo="jwt", tamper="userinfo")

    response = sign_in(client, mock_psc, "psc-jwt-bad")

    assert response.status_code == 403
    assert not User.objects.filter(email="jwtfaux@exemple.fr").exists()


def test_a_professional_who_left_the_directory_is_refused(client, mock_psc, occitanie):
    _directory_professional(occitanie, rpps=RPPS, left_directory_at=timezone.now())
    mock_psc.add_user("psc-left", national_claims("8" + RPPS, email="parti@exemple.fr"))

    response = sign_in(client, mock_psc, "psc-left")

    assert response.status_code == 403
    assert "ne figurez plus dans l'annuaire RPPS" in _text(response)
    assert not User.objects.filter(email="parti@exemple.fr").exists()


def test_a_suspended_account_is_refused_at_its_next_sign_in(client, mock_psc, occitanie):
    professional = _directory_professional(occitanie, rpps=RPPS)
    mock_psc.add_user("psc-again", national_claims("8" + RPPS, email="revient@exemple.fr"))
    sign_in(client, mock_psc, "psc-again")
    client.logout()
    user = User.objects.get(email="revient@exemple.fr")
    user.status = AccountStatus.SUSPENDED
    user.save()

    response = sign_in(client, mock_psc, "psc-again")

    assert response.status_code == 403
    assert "suspendu" in _text(response)
    assert "_auth_user_id" not in client.session
    professional.refresh_from_db()
    assert professional.user == user


def test_a_malformed_national_identifier_is_refused(client, mock_psc, occitanie):
    mock_psc.add_user("psc-bad-id", national_claims("812345678901", email="faux@exemple.fr"))

    response = sign_in(client, mock_psc, "psc-bad-id")

    assert response.status_code == 403
    assert "identifiant national valide" in _text(response)
    assert not User.objects.filter(email="faux@exemple.fr").exists()


def test_a_pending_account_is_validated_when_the_directory_lists_it_later(client, mock_psc, occitanie):
    mock_psc.add_user("psc-later", national_claims("8" + RPPS, email="plustard@exemple.fr"))
    sign_in(client, mock_psc, "psc-later")
    client.logout()
    professional = _directory_professional(occitanie, rpps=RPPS)  # the next RPPS import

    sign_in(client, mock_psc, "psc-later")

    professional.refresh_from_db()
    assert professional.user.email == "plustard@exemple.fr"
    assert professional.user.status == AccountStatus.ACTIVE


def test_an_e_mail_account_signs_in_then_links_pro_sante_connect(client, mock_psc, occitanie):
    doctor = UserFactory(role=Role.PROFESSIONAL, status=AccountStatus.PENDING, email="dr.house@exemple.fr")
    professional = _directory_professional(occitanie, rpps=RPPS)
    mock_psc.add_user("psc-link", national_claims("8" + RPPS, email="autre.adresse@exemple.fr"))
    client.force_login(doctor)

    response = sign_in(client, mock_psc, "psc-link", process="connect")

    assert response.status_code == 302, response.content
    doctor.refresh_from_db()
    professional.refresh_from_db()
    assert doctor.status == AccountStatus.ACTIVE and professional.user == doctor
    assert doctor.socialaccount_set.get().uid == "8" + RPPS
    assert not User.objects.filter(email="autre.adresse@exemple.fr").exists()
    # From then on, Pro Santé Connect signs in to that same account.
    client.logout()
    sign_in(client, mock_psc, "psc-link")
    assert int(client.session["_auth_user_id"]) == doctor.pk


def test_a_new_sign_in_whose_rpps_belongs_to_an_account_is_told_to_link(client, mock_psc, occitanie):
    owner = UserFactory(role=Role.PROFESSIONAL, email="titulaire@exemple.fr")
    _directory_professional(occitanie, rpps=RPPS).__class__.objects.filter(rpps=RPPS).update(user=owner)
    mock_psc.add_user("psc-taken", national_claims("8" + RPPS, email="nouvelle@exemple.fr"))

    response = sign_in(client, mock_psc, "psc-taken")

    assert response.status_code == 403
    assert "liez Pro Santé Connect" in _text(response)
    assert not User.objects.filter(email="nouvelle@exemple.fr").exists()


def test_linking_the_rpps_of_another_account_is_refused(client, mock_psc, occitanie):
    owner = UserFactory(role=Role.PROFESSIONAL, email="titulaire@exemple.fr")
    professional = _directory_professional(occitanie, rpps=RPPS)
    professional.user = owner
    professional.save()
    intruder = UserFactory(role=Role.PROFESSIONAL, status=AccountStatus.PENDING, email="intrus@exemple.fr")
    mock_psc.add_user("psc-steal", national_claims("8" + RPPS))
    client.force_login(intruder)

    response = sign_in(client, mock_psc, "psc-steal", process="connect")

    assert response.status_code == 403
    intruder.refresh_from_db()
    assert intruder.status == AccountStatus.PENDING and not intruder.socialaccount_set.exists()
    professional.refresh_from_db()
    assert professional.user == owner


def test_without_an_e_mail_claim_the_person_gives_an_address(client, mock_psc, occitanie):
    professional = _directory_professional(occitanie, rpps=RPPS)
    mock_psc.add_user("psc-noemail", national_claims("8" + RPPS))

    response = sign_in(client, mock_psc, "psc-noemail")

    assert response.status_code == 302 and response["Location"] == "/accounts/3rdparty/signup/"
    form = client.get(response["Location"])
    assert form.status_code == 200
    assert set(form.context["form"].fields) == {"email"}
    done = client.post(response["Location"], {"email": "Marie.Curie@Exemple.fr"})
    assert done.status_code == 302
    professional.refresh_from_db()
    assert professional.user.email == "marie.curie@exemple.fr"
    assert professional.user.status == AccountStatus.ACTIVE


def test_the_psc_sign_in_counts_as_the_second_factor_of_an_ars_agent(client, mock_psc, occitanie):
    agent = UserFactory(role=Role.ARS_STAFF, region=occitanie, email="agent@ars.fr")
    enrol_totp(agent)
    agent.socialaccount_set.create(provider="pro-sante-connect", uid="8" + RPPS, extra_data={})
    mock_psc.add_user("psc-ars", national_claims("8" + RPPS))

    sign_in(client, mock_psc, "psc-ars")

    assert int(client.session["_auth_user_id"]) == agent.pk
    page = client.get("/ars/tableau-de-bord/")
    assert not page.get("Location", "").startswith("/accounts/2fa/")
