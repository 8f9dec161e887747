"""The public accessibility statement (RGAA 4.1), linked from the footer of every page."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_statement_is_public_and_declares_the_portal_non_conforming_without_an_audit(client):
    response = client.get(reverse("accessibility"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Déclaration d'accessibilité" in html
    assert "est non conforme avec le référentiel général" in html
    assert "version 4.1" in html
    assert "Aucun audit de conformité n'a encore été réalisé" in html
    assert "partiellement conforme" not in html and "totalement conforme" not in html
    assert "Défenseur des droits" in html


def test_the_statement_gives_the_configured_contact_and_date(client, settings):
    from datetime import date

    settings.ACCESSIBILITY_CONTACT_EMAIL = "accessibilite@ars-exemple.fr"
    settings.ACCESSIBILITY_STATEMENT_DATE = date(2026, 12, 1)

    html = client.get(reverse("accessibility")).content.decode()

    assert 'href="mailto:accessibilite@ars-exemple.fr"' in html
    assert "1 décembre 2026" in html


@pytest.mark.parametrize("name", ["home", "account_login", "consultations:patient_home"])
def test_every_public_page_links_to_the_statement_with_its_status(client, occitanie, name):
    html = client.get(reverse(name)).content.decode()
    assert f'<a href="{reverse("accessibility")}">Accessibilité : non conforme</a>' in html


def test_a_logged_in_page_links_to_the_statement_too(client, riscle_pharmacist):
    assert client.login(email=riscle_pharmacist.email, password=PASSWORD)
    html = client.get(reverse("pharmacies:home")).content.decode()
    assert "Accessibilité : non conforme" in html


def test_the_statement_and_its_footer_link_are_in_english_on_request(client):
    html = client.get(reverse("accessibility"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Accessibility statement" in html
    assert "is not compliant with the French accessibility guidelines (RGAA), version 4.1" in html
    assert "Accessibility: not compliant" in html
