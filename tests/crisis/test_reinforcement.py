"""Census of reinforcement and requests: who is asked, the first to accept wins, escalation to
a wider radius after the delay; scopes and bad input."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from crisis import selectors, services
from crisis.models import Acceptance, Availability, ReinforcementRequest, RequestCall, RequestStatus
from gomask.errors import InvalidInput, NotAllowed, NotFound
from notifications.models import Delivery, DeliveryKind
from professionals.models import Profession
from territories.models import Commune
from territories.selectors import communes_within_km
from tests.crisis.conftest import RISCLE, activate, available, window
from tests.factories import professional_user

pytestmark = pytest.mark.django_db


def request_form(start, end, *, key: str) -> dict:
    """The coordinator's "Demander du renfort" form as a browser sends it."""
    return {
        "place": "Salle des fêtes",
        "commune": "Riscle (32400)",
        "starts_at": timezone.localtime(start).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": timezone.localtime(end).strftime("%Y-%m-%dT%H:%M"),
        "profession": "infirmier",
        "needed": "1",
        "idempotency_key": key,
    }


def post(actor, activation, **fields):
    start, end = window(2, 3)
    values = {
        "place": "Gymnase municipal",
        "commune": Commune.objects.get(pk=RISCLE),
        "starts_at": start,
        "ends_at": end,
        "profession": Profession.INFIRMIER,
        "needed": 1,
    }
    values.update(fields)
    return services.post_request(actor=actor, activation_id=activation.pk, **values)


def commune_between(km_min, km_max):
    riscle = Commune.objects.get(pk=RISCLE)
    return next(c for c, d in communes_within_km(riscle.latitude, riscle.longitude, km_max) if d > km_min)


def test_a_professional_of_the_territory_declares_availability_and_the_coordinator_filters_it(
    cpts, riscle_nurse, riscle_doctor
):
    activation = activate(cpts)
    available(riscle_nurse, activation)
    available(riscle_doctor, activation, skills="sutures", hours=(24, 4))
    assert [row.professional for row in selectors.census(activation)] == [
        riscle_nurse.professional,
        riscle_doctor.professional,
    ]
    assert [r.professional for r in selectors.census(activation, profession="medecin")] == [
        riscle_doctor.professional
    ]
    now = timezone.now() + timedelta(hours=1)
    assert [r.professional for r in selectors.census(activation, at=now)] == [riscle_nurse.professional]


def test_a_professional_outside_the_territory_cannot_declare(cpts, toulouse_nurse):
    activation = activate(cpts)
    with pytest.raises(NotFound):
        available(toulouse_nurse, activation)
    assert not Availability.objects.exists()


def test_a_coordinator_cannot_declare_availability(cpts):
    activation = activate(cpts)
    with pytest.raises(NotAllowed):
        available(cpts, activation)


def test_a_reversed_or_past_window_is_refused_and_writes_nothing(cpts, riscle_nurse):
    activation = activate(cpts)
    with pytest.raises(InvalidInput) as reversed_window:
        available(riscle_nurse, activation, hours=(5, -2))
    assert reversed_window.value.code == "window_reversed"
    with pytest.raises(InvalidInput) as past:
        available(riscle_nurse, activation, hours=(-10, 2))
    assert past.value.code == "window_past"
    with pytest.raises(InvalidInput) as too_long:
        available(riscle_nurse, activation, hours=(1, 24 * 40))
    assert too_long.value.code == "window_too_long"
    with pytest.raises(InvalidInput) as too_far:
        available(riscle_nurse, activation, hours=(24 * 400, 12))
    assert too_far.value.code == "window_too_far"
    assert not Availability.objects.exists()


def test_a_request_asks_only_available_professionals_nearby_of_that_profession(
    cpts, riscle_nurse, riscle_doctor
):
    far_nurse = professional_user(email="infirmiere.loin@exemple.fr", insee_code=RISCLE)
    busy_nurse = professional_user(email="infirmiere.occupee@exemple.fr", insee_code=RISCLE)
    activation = activate(cpts, is_drill=True)
    available(riscle_nurse, activation)
    available(riscle_doctor, activation)
    available(far_nurse, activation, commune=commune_between(12, 24))
    available(busy_nurse, activation, hours=(30, 2))
    request = post(cpts, activation)
    assert request.is_drill and request.radius_km == 10
    assert set(RequestCall.objects.values_list("professional_id", flat=True)) == {
        riscle_nurse.professional.pk
    }
    deliveries = Delivery.objects.filter(kind=DeliveryKind.REINFORCEMENT_REQUEST)
    assert {d.professional_id for d in deliveries} == {riscle_nurse.professional.pk}
    assert all(d.subject.startswith("[EXERCICE] Demande de renfort") for d in deliveries)


def test_the_first_to_accept_gets_it_and_the_next_is_told_kindly(cpts, riscle_nurse):
    other = professional_user(email="infirmiere.deux@exemple.fr", insee_code=RISCLE)
    activation = activate(cpts)
    available(riscle_nurse, activation)
    available(other, activation)
    request = post(cpts, activation)
    first = services.accept_request(user=riscle_nurse, request_id=request.pk)
    assert services.accept_request(user=riscle_nurse, request_id=request.pk) == first  # twice: the same
    with pytest.raises(services.RequestTaken) as taken:
        services.accept_request(user=other, request_id=request.pk)
    assert "un autre professionnel a déjà accepté" in str(taken.value.message)
    request.refresh_from_db()
    assert request.status == RequestStatus.FILLED and Acceptance.objects.count() == 1


def test_a_professional_who_was_not_asked_cannot_accept(cpts, riscle_nurse, toulouse_nurse):
    activation = activate(cpts)
    available(riscle_nurse, activation)
    request = post(cpts, activation)
    with pytest.raises(NotFound):
        services.accept_request(user=toulouse_nurse, request_id=request.pk)
    with pytest.raises(NotFound):
        services.accept_request(user=riscle_nurse, request_id="abc")
    assert not Acceptance.objects.exists()


def test_escalation_widens_the_radius_after_the_delay_and_asks_the_new_ones_only(cpts, riscle_nurse):
    far_nurse = professional_user(email="infirmiere.loin@exemple.fr", insee_code=RISCLE)
    activation = activate(cpts)
    available(riscle_nurse, activation)
    available(far_nurse, activation, commune=commune_between(12, 24))
    request = post(cpts, activation)
    assert services.escalate_requests() == 0  # not yet: the delay has not passed
    later = timezone.now() + timedelta(minutes=16)
    mail.outbox = []
    assert services.escalate_requests(now=later) == 1
    request.refresh_from_db()
    assert request.radius_km == 25
    assert set(RequestCall.objects.filter(radius_km=25).values_list("professional_id", flat=True)) == {
        far_nurse.professional.pk
    }
    assert (
        Delivery.objects.filter(kind=DeliveryKind.REINFORCEMENT_REQUEST).count() == 4
    )  # 2 pros x e-mail+portal
    services.accept_request(user=far_nurse, request_id=request.pk)
    assert services.escalate_requests(now=later + timedelta(minutes=30)) == 0  # filled: no more asking


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"place": ""}, "empty_place"),
        ({"profession": "sorcier"}, "invalid_profession"),
        ({"needed": 0}, "invalid_needed"),
        ({"needed": 500}, "invalid_needed"),
        ({"commune": None}, "missing_commune"),
    ],
)
def test_bad_request_input_is_refused_and_writes_nothing(cpts, fields, code):
    activation = activate(cpts)
    with pytest.raises(InvalidInput) as refused:
        post(cpts, activation, **fields)
    assert refused.value.code == code
    assert not ReinforcementRequest.objects.exists()


def test_another_cpts_cannot_post_on_this_activation(cpts, cpts_toulouse, ars_paca):
    activation = activate(cpts)
    for outsider in (cpts_toulouse, ars_paca):
        with pytest.raises(NotFound):
            post(outsider, activation)
    assert not ReinforcementRequest.objects.exists()


def test_pages_and_api_accept(cpts, riscle_nurse, toulouse_nurse, client):
    activation = activate(cpts)
    available(riscle_nurse, activation)
    client.force_login(cpts)
    start, end = window(2, 3)
    response = client.post(
        reverse("crisis:post_request", args=[activation.pk]), request_form(start, end, key="cle-renfort-1")
    )
    assert response.status_code == 302
    request = ReinforcementRequest.objects.get()
    client.force_login(toulouse_nurse)
    assert client.get(reverse("crisis:request", args=[request.pk])).status_code == 404
    assert client.post(f"/api/crise/renforts/{request.pk}/accepter/").status_code == 404
    client.force_login(riscle_nurse)
    assert "J'accepte ce renfort" in client.get(reverse("crisis:request", args=[request.pk])).content.decode()
    accepted = client.post(f"/api/crise/renforts/{request.pk}/accepter/")
    assert accepted.status_code == 200 and accepted.json()["request"] == request.pk


def test_a_request_form_with_an_unknown_commune_answers_400(cpts, client):
    activation = activate(cpts)
    client.force_login(cpts)
    response = client.post(
        reverse("crisis:post_request", args=[activation.pk]),
        {
            "place": "Gymnase",
            "commune": "99999",
            "starts_at": "demain",
            "ends_at": "",
            "profession": "x",
            "needed": "-1",
            "idempotency_key": "cle-renfort-2",
        },
    )
    assert response.status_code == 400
    assert "Aucune commune ne correspond" in response.content.decode()
    assert not ReinforcementRequest.objects.exists()


def test_the_requested_profession_is_named_on_the_professional_s_page_and_the_console(
    cpts, riscle_nurse, client
):
    activation = activate(cpts)
    available(riscle_nurse, activation)
    request = post(cpts, activation, needed=2)
    client.force_login(riscle_nurse)
    detail = client.get(reverse("crisis:request", args=[request.pk])).content.decode()
    assert "Infirmier × 2" in detail
    client.force_login(cpts)
    console = client.get(reverse("crisis:console", args=[activation.pk])).content.decode()
    assert "2 × Infirmier," in console


def test_a_copy_of_an_open_request_is_refused_when_asked_and_not_once_it_is_filled(cpts, riscle_nurse):
    activation = activate(cpts)
    available(riscle_nurse, activation)
    start, end = window(2, 3)
    same = {"starts_at": start, "ends_at": end, "refuse_duplicate": True}
    post(cpts, activation, **same)
    with pytest.raises(services.PossibleDuplicate) as refused:
        post(cpts, activation, **same)
    assert refused.value.field == "confirm_duplicate"
    assert ReinforcementRequest.objects.count() == 1
    # Another need, or the same once confirmed (refuse_duplicate=False), is posted.
    post(cpts, activation, **same, needed=2)
    post(cpts, activation, **{**same, "refuse_duplicate": False})
    assert ReinforcementRequest.objects.count() == 3
    # Once filled, the same need again is a new request.
    ReinforcementRequest.objects.update(status=RequestStatus.FILLED)
    post(cpts, activation, **same)
    assert ReinforcementRequest.objects.count() == 4


def test_the_coordinator_s_form_sent_again_with_a_fresh_key_asks_before_posting_a_copy(cpts, client):
    activation = activate(cpts)
    client.force_login(cpts)
    start, end = window(2, 3)
    url = reverse("crisis:post_request", args=[activation.pk])
    form = request_form(start, end, key="cle-renfort-a")
    assert client.post(url, form).status_code == 302
    again = client.post(url, {**form, "idempotency_key": "cle-renfort-b"})
    assert again.status_code == 409 and ReinforcementRequest.objects.count() == 1
    assert "Oui, il faut du renfort en plus" in again.content.decode()
    confirmed = client.post(url, {**form, "idempotency_key": "cle-renfort-b", "confirm_duplicate": "on"})
    assert confirmed.status_code == 302 and ReinforcementRequest.objects.count() == 2
