"""The API to post a request for reinforcement: coordinators of the activated territory, and a
care site's manager for their own site; the same service as the pages, the kernel's
Idempotency-Key contract, bad bodies refused in French with nothing written."""

import pytest
from django.utils import timezone

from crisis.models import ReinforcementRequest, RequestCall
from tests.crisis.conftest import RISCLE, activate, available, window

pytestmark = pytest.mark.django_db


def body(**fields):
    start, end = window(2, 3)
    values = {
        "starts_at": timezone.localtime(start).isoformat(),
        "ends_at": timezone.localtime(end).isoformat(),
        "profession": "infirmier",
        "needed": 1,
    }
    values.update(fields)
    return values


def post(client, url, data, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(url, data, content_type="application/json", **headers)


def test_a_coordinator_posts_a_request_and_a_repeat_answers_the_first(client, cpts, riscle_nurse):
    activation = activate(cpts)
    available(riscle_nurse, activation)
    client.force_login(cpts)
    url = f"/api/crise/activations/{activation.pk}/renforts/"
    data = body(place="Salle des fêtes", commune="Riscle (32400)")

    first = post(client, url, data, key="renfort-api-1")
    assert first.status_code == 201, first.json()
    assert first.json()["commune"] == "Riscle" and first.json()["asked"] == 1
    again = post(client, url, data, key="renfort-api-1")
    assert again.status_code == 200 and again.json() == first.json()
    assert ReinforcementRequest.objects.count() == 1 and RequestCall.objects.count() == 1
    # The same key for another need: refused, nothing written.
    reused = post(client, url, {**data, "needed": 2}, key="renfort-api-1")
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"
    # Negative control: another key is another request.
    assert post(client, url, data, key="renfort-api-2").status_code == 201
    assert ReinforcementRequest.objects.count() == 2


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"commune": "99999"}, "commune"),
        ({"needed": 0}, "needed"),
        ({"profession": "sorcier"}, "profession"),
        ({"starts_at": "demain"}, "starts_at"),
        ({"place": "\x00"}, "place"),
    ],
)
def test_bad_bodies_are_refused_in_french_and_write_nothing(client, cpts, fields, field):
    activation = activate(cpts)
    client.force_login(cpts)
    response = post(
        client,
        f"/api/crise/activations/{activation.pk}/renforts/",
        {**body(place="Gymnase", commune="Riscle (32400)"), **fields},
    )
    assert response.status_code == 400
    # A serializer's "fields", a domain error's "field", or the input guard naming the field.
    answer = response.json()
    named = (
        field in answer.get("fields", {})
        or answer.get("field") == field
        or f"« {field} »" in answer["message"]
    )
    assert named, answer
    assert not ReinforcementRequest.objects.exists()


def test_another_territorys_coordinator_gets_404(client, cpts, cpts_toulouse):
    activation = activate(cpts)
    client.force_login(cpts_toulouse)
    response = post(
        client, f"/api/crise/activations/{activation.pk}/renforts/", body(place="X", commune="Riscle (32400)")
    )
    assert response.status_code == 404
    assert not ReinforcementRequest.objects.exists()


def test_a_site_manager_posts_for_their_site_and_another_site_is_404(
    client,
    cpts,
    site_manager,
    riscle_site,
    riscle_nurse,
    toulouse_nurse,
):
    activation = activate(cpts)
    available(riscle_nurse, activation)
    client.force_login(site_manager)
    created = post(client, f"/api/crise/sites/{riscle_site.pk}/renforts/", body(), key="site-1")
    assert created.status_code == 201
    request = ReinforcementRequest.objects.get()
    assert (request.place, request.commune_id, request.requested_by) == (
        riscle_site.name,
        RISCLE,
        site_manager,
    )
    client.force_login(toulouse_nurse)  # not this site's manager
    assert post(client, f"/api/crise/sites/{riscle_site.pk}/renforts/", body()).status_code == 404
    assert ReinforcementRequest.objects.count() == 1
