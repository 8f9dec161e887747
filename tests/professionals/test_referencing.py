import threading

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import AccountStatus, Role
from gomask.errors import InvalidInput, NotAllowed
from professionals.models import Referencing
from professionals.services import reference_at_pharmacy
from tests.factories import PASSWORD, PharmacyFactory, UserFactory, professional_user

SAINT_MONT = "32398"


@pytest.mark.django_db
def test_a_professional_references_themselves_then_changes_and_history_is_kept(
    nurse, riscle_pharmacy, occitanie
):
    first = reference_at_pharmacy(actor=nurse, pharmacy_id=riscle_pharmacy.pk)
    assert (first.pharmacy, first.ended_at, first.created_by) == (riscle_pharmacy, None, nurse)
    other = PharmacyFactory(insee_code=SAINT_MONT)
    second = reference_at_pharmacy(actor=nurse, pharmacy_id=str(other.pk))
    first.refresh_from_db()
    assert first.ended_at is not None
    assert second.pharmacy == other and second.ended_at is None
    assert Referencing.objects.filter(professional=nurse.professional, ended_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_choosing_the_current_home_pharmacy_again_changes_nothing(nurse, riscle_pharmacy):
    first = reference_at_pharmacy(actor=nurse, pharmacy_id=riscle_pharmacy.pk)
    assert reference_at_pharmacy(actor=nurse, pharmacy_id=riscle_pharmacy.pk) == first
    assert Referencing.objects.count() == 1


@pytest.mark.django_db
def test_referencing_refuses_far_closed_unknown_and_malformed_pharmacies(nurse, toulouse_pharmacy, occitanie):
    closed = PharmacyFactory(is_active=False)
    for pharmacy_id, code in [
        (toulouse_pharmacy.pk, "pharmacy_too_far"),
        (closed.pk, "unknown_pharmacy"),
        (987654, "unknown_pharmacy"),
        ("abc", "unknown_pharmacy"),
        (None, "unknown_pharmacy"),
    ]:
        with pytest.raises(InvalidInput) as error:
            reference_at_pharmacy(actor=nurse, pharmacy_id=pharmacy_id)
        assert error.value.code == code
    assert not Referencing.objects.exists()


@pytest.mark.django_db
def test_only_approved_professionals_with_a_record_may_reference_themselves(
    riscle_pharmacy, riscle_pharmacist
):
    pending = professional_user(email="attente@exemple.fr", status=AccountStatus.PENDING)
    without_record = UserFactory(role=Role.PROFESSIONAL)
    for user, code in [
        (pending, "not_a_professional"),
        (riscle_pharmacist, "not_a_professional"),
        (without_record, "no_professional"),
    ]:
        with pytest.raises(NotAllowed) as error:
            reference_at_pharmacy(actor=user, pharmacy_id=riscle_pharmacy.pk)
        assert error.value.code == code
    assert not Referencing.objects.exists()


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_simultaneous_changes_leave_exactly_one_home_pharmacy(nurse, riscle_pharmacy, occitanie, products):
    choices = [riscle_pharmacy] + [PharmacyFactory(insee_code=SAINT_MONT) for _ in range(7)]
    barrier = threading.Barrier(len(choices))
    errors = []

    def change(pharmacy):
        try:
            barrier.wait()
            reference_at_pharmacy(actor=nurse, pharmacy_id=pharmacy.pk)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=change, args=(pharmacy,)) for pharmacy in choices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Referencing.objects.filter(professional=nurse.professional, ended_at__isnull=True).count() == 1
    assert Referencing.objects.filter(professional=nurse.professional).count() == len(choices)


# --- Pages ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_referencing_page_lists_nearby_pharmacies_and_a_post_sets_the_home_pharmacy(
    client, nurse, riscle_pharmacy, toulouse_pharmacy
):
    saint_mont = PharmacyFactory(insee_code=SAINT_MONT, name="Pharmacie de Saint-Mont")
    client.login(email=nurse.email, password=PASSWORD)
    page = client.get(reverse("professionals:reference"))
    names = [choice["name"] for choice in page.context["choices"]]
    assert names[:2] == [riscle_pharmacy.name, saint_mont.name]
    assert toulouse_pharmacy.name not in names
    response = client.post(reverse("professionals:reference"), {"pharmacy": saint_mont.pk}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("professionals:home")
    html = response.content.decode()
    assert "Pharmacie de Saint-Mont" in html and "officine de référence" in html


@pytest.mark.django_db
def test_a_bad_referencing_post_is_refused_with_a_message(client, nurse, toulouse_pharmacy):
    client.login(email=nurse.email, password=PASSWORD)
    for data, status in [({"pharmacy": toulouse_pharmacy.pk}, 400), ({"pharmacy": "x"}, 400), ({}, 400)]:
        response = client.post(reverse("professionals:reference"), data)
        assert response.status_code == status
        assert 'role="alert"' in response.content.decode()
    assert not Referencing.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["professionals:home", "professionals:reference", "distribution:find_masks"])
def test_professional_pages_refuse_other_roles_and_pending_accounts(
    client, riscle_pharmacist, occitanie, name
):
    url = reverse(name)
    assert client.get(url).status_code == 302
    pending = professional_user(email="attente@exemple.fr", status=AccountStatus.PENDING)
    for user in [riscle_pharmacist, pending]:
        client.logout()
        client.login(email=user.email, password=PASSWORD)
        assert client.get(url).status_code == 403
        assert client.post(url).status_code in {403, 405}
    assert not Referencing.objects.exists()
