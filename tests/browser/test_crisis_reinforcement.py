"""A care site's manager asks for reinforcement for their site, on a desktop and on a phone
(390x844): the French confirmation, a double click and the form sent again after Back post one
request (the copy is only posted once confirmed), and the nurse asked reads which profession is
needed before accepting."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from crisis import services
from crisis.models import Acceptance, ReinforcementRequest, RequestCall
from distribution.models import CareSite, CareSiteKind
from territories.models import Commune
from tests.browser.helpers import DESKTOP, PHONE, page_width, signed_in_context
from tests.crisis.conftest import available
from tests.factories import professional_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RISCLE = "32344"


def fill_need(page, begin):
    page.get_by_label("Début").fill(begin.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Fin").fill((begin + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Profession").select_option("infirmier")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_site_manager_s_request_is_posted_once_and_a_nurse_accepts_it(browser, live_server, cpts, viewport):
    manager = professional_user(email="direction@centre-riscle.fr", insee_code=RISCLE)
    nurse = professional_user(email="infirmiere.riscle@exemple.fr", insee_code=RISCLE)
    riscle = Commune.objects.get(pk=RISCLE)
    site = CareSite.objects.create(
        kind=CareSiteKind.COVID_CENTRE,
        name="Centre de consultation de Riscle",
        commune=riscle,
        region_id=riscle.region_id,
        latitude=riscle.latitude,
        longitude=riscle.longitude,
        manager=manager,
    )
    activation = services.activate(actor=cpts, level=2, track="clim", summary="Canicule.")
    start = available(nurse, activation).starts_at
    begin = timezone.localtime(start + timedelta(hours=2))
    page = signed_in_context(browser, live_server, manager, viewport=viewport).new_page()
    page.goto(f"/mon-site/{site.pk}/statut/")
    page.get_by_role("button", name="Demander du renfort").click()
    page.get_by_role("heading", name=re.compile("Demander du renfort")).wait_for()
    assert page_width(page) <= viewport["width"]

    # A double click: one request, the French confirmation on the site's page.
    fill_need(page, begin)
    page.get_by_role("button", name="Publier la demande").dblclick()
    page.get_by_text("Demande de renfort publiée : 1 professionnel(s) disponible(s) sollicité(s)").wait_for()
    page.wait_for_url(f"**/mon-site/{site.pk}/statut/")
    request = ReinforcementRequest.objects.get()
    assert request.place == site.name and request.requested_by == manager
    assert RequestCall.objects.filter(request=request, professional=nurse.professional).exists()

    # Back, then the same need sent again: asked first, nothing posted.
    page.go_back()
    page.get_by_role("heading", name=re.compile("Demander du renfort")).wait_for()
    fill_need(page, begin)
    page.get_by_role("button", name="Publier la demande").click()
    page.get_by_text("Vous avez déjà publié cette demande de renfort").wait_for()
    assert ReinforcementRequest.objects.count() == 1
    assert page_width(page) <= viewport["width"]
    page.get_by_label("Oui, il faut du renfort en plus").check()
    page.get_by_role("button", name="Publier la demande").click()
    page.wait_for_url(f"**/mon-site/{site.pk}/statut/")
    assert ReinforcementRequest.objects.count() == 2
    page.context.close()

    professional = signed_in_context(browser, live_server, nurse, viewport=viewport).new_page()
    professional.goto("/crise/")
    professional.get_by_role("link", name=re.compile("Centre de consultation de Riscle")).first.click()
    professional.get_by_text("Infirmier × 1").wait_for()
    professional.get_by_role("button", name="J'accepte ce renfort").click()
    professional.get_by_text("vous êtes attendu(e) sur place").wait_for()
    assert page_width(professional) <= viewport["width"]
    assert Acceptance.objects.get().professional == nurse.professional
    professional.context.close()
