"""A care site's manager asks for reinforcement for their own site, through the coordinators'
service (post_request with site_id): the place is the site; every other role, and the manager
of another site, cannot."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountStatus, Role
from crisis import services
from crisis.models import Decision, ReinforcementRequest, RequestCall
from gomask.errors import Conflict, NotAllowed, NotFound
from professionals.models import Profession
from tests.crisis.conftest import RISCLE, TOULOUSE, activate, available, window
from tests.factories import UserFactory, professional_user
from tests.referrals.conftest import make_site

pytestmark = pytest.mark.django_db


def need(**fields):
    start, end = window(2, 3)
    values = {"starts_at": start, "ends_at": end, "profession": Profession.INFIRMIER, "needed": 1}
    values.update(fields)
    return values


def test_a_site_manager_posts_a_request_for_their_site_and_nearby_nurses_are_asked(
    cpts, site_manager, riscle_site, riscle_nurse
):
    activation = activate(cpts)
    available(riscle_nurse, activation)
    request = services.post_request(actor=site_manager, site_id=riscle_site.pk, **need())
    assert request.activation == activation and request.requested_by == site_manager
    assert request.place == riscle_site.name and request.commune_id == RISCLE
    assert RequestCall.objects.filter(request=request, professional=riscle_nurse.professional).exists()
    assert Decision.objects.filter(activation=activation, author=site_manager).exists()


def test_the_site_fixes_the_place_whatever_the_manager_sends(cpts, site_manager, riscle_site):
    activate(cpts)
    toulouse = make_site(TOULOUSE, name="Centre de Toulouse").commune
    request = services.post_request(
        actor=site_manager, site_id=riscle_site.pk, place="Ailleurs", commune=toulouse, **need()
    )
    assert (request.place, request.commune_id) == (riscle_site.name, RISCLE)


def test_without_an_open_activation_on_the_site_s_territory_nothing_is_posted(
    cpts_toulouse, site_manager, riscle_site
):
    activate(cpts_toulouse)  # Toulouse's CPTS: does not cover Riscle
    with pytest.raises(Conflict):
        services.post_request(actor=site_manager, site_id=riscle_site.pk, **need())
    assert not ReinforcementRequest.objects.exists()


def test_the_manager_of_another_site_cannot_post_for_this_one(cpts, riscle_site):
    activate(cpts)
    other_manager = professional_user(email="direction@centre-toulouse.fr", insee_code=TOULOUSE)
    make_site(TOULOUSE, name="Centre de Toulouse", manager=other_manager)
    with pytest.raises(NotFound):
        services.post_request(actor=other_manager, site_id=riscle_site.pk, **need())
    assert not ReinforcementRequest.objects.exists()


@pytest.mark.parametrize(
    "role",
    [Role.PROFESSIONAL, Role.PHARMACIST, Role.PATIENT, Role.ARS_STAFF, Role.CPTS_COORDINATOR, Role.ADMIN],
)
def test_no_other_role_posts_for_a_site_it_does_not_manage(cpts, riscle_site, role):
    activate(cpts)
    user = UserFactory(role=role, region_id="76", email=f"{role}@exemple.fr")
    with pytest.raises(NotFound):
        services.post_request(actor=user, site_id=riscle_site.pk, **need())
    assert not ReinforcementRequest.objects.exists()


def test_a_site_manager_cannot_post_through_the_coordinators_path(cpts, site_manager, riscle_site):
    activation = activate(cpts)
    with pytest.raises(NotAllowed):
        services.post_request(
            actor=site_manager,
            activation_id=activation.pk,
            place="Gymnase",
            commune=riscle_site.commune,
            **need(),
        )


def test_a_pending_manager_cannot_post(cpts, site_manager, riscle_site):
    activate(cpts)
    site_manager.status = AccountStatus.PENDING
    site_manager.save()
    with pytest.raises(NotFound):
        services.post_request(actor=site_manager, site_id=riscle_site.pk, **need())


def test_the_site_page_offers_the_request_to_its_manager_and_the_form_posts_it(
    client, cpts, site_manager, riscle_site
):
    client.force_login(site_manager)
    status_page = reverse("referrals:site_status", args=[riscle_site.pk])
    url = reverse("crisis:site_request", args=[riscle_site.pk])
    assert url not in client.get(status_page).content.decode()  # no activation yet
    assert "Aucune activation" in client.get(url).content.decode()
    activate(cpts)
    assert url in client.get(status_page).content.decode()
    start, end = window(2, 3)
    form = {
        "starts_at": timezone.localtime(start).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": timezone.localtime(end).strftime("%Y-%m-%dT%H:%M"),
        "profession": Profession.INFIRMIER,
        "needed": "2",
        "idempotency_key": "cle-demande-site-1",
    }
    bad = client.post(url, {**form, "needed": "0"})
    assert bad.status_code == 400 and not ReinforcementRequest.objects.exists()
    response = client.post(url, form)
    assert response.status_code == 302 and response.url == status_page
    request = ReinforcementRequest.objects.get()
    assert request.place == riscle_site.name and request.needed == 2
    # A double click (the same form again): the same confirmation, nobody asked twice.
    again = client.post(url, form, follow=True)
    assert again.redirect_chain[-1][0] == status_page
    assert "Demande de renfort publiée" in again.content.decode()
    assert ReinforcementRequest.objects.count() == 1
    # The form sent again after Back, fetched anew (another key): asked before a copy is posted.
    back = client.post(url, {**form, "idempotency_key": "cle-demande-site-2"})
    assert back.status_code == 409 and ReinforcementRequest.objects.count() == 1
    page = back.content.decode()
    assert "Vous avez déjà publié cette demande de renfort" in page
    assert 'type="checkbox" name="confirm_duplicate"' in page
    # Confirmed: a second request; a different need is posted without asking.
    client.post(url, {**form, "idempotency_key": "cle-demande-site-2", "confirm_duplicate": "on"})
    assert ReinforcementRequest.objects.count() == 2
    client.post(url, {**form, "needed": "3", "idempotency_key": "cle-demande-site-3"})
    assert ReinforcementRequest.objects.count() == 3


def test_the_form_of_another_site_answers_404(client, cpts, riscle_site):
    activate(cpts)
    other_manager = professional_user(email="direction@centre-toulouse.fr", insee_code=TOULOUSE)
    client.force_login(other_manager)
    url = reverse("crisis:site_request", args=[riscle_site.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"profession": "infirmier", "needed": "1"}).status_code == 404
    assert not ReinforcementRequest.objects.exists()
