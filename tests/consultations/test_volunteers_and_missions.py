"""Volunteer doctors, missions, slots publication, attendance, and who may see what."""

import html
from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountStatus, Role
from consultations import selectors, services
from consultations.models import Booking, BookingStatus, MissionStatus, Volunteer
from gomask.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tests.consultations.conftest import make_doctor, make_mission, make_volunteer, patient, publish
from tests.factories import UserFactory, professional_user

pytestmark = pytest.mark.django_db


def _profile(user, *, zones=(), sites=(), days=2, lodging=False):
    return services.save_volunteer_profile(
        user=user,
        zone_ids=[z.pk for z in zones],
        site_ids=[s.pk for s in sites],
        max_days_per_month=days,
        needs_lodging=lodging,
    )


# --- Volunteers ------------------------------------------------------------------------------


def test_a_doctor_volunteers_for_a_zone_and_adds_availability(doctor, riscle_site):
    volunteer = _profile(doctor, zones=[riscle_site.zone], lodging=True)
    today = timezone.localdate()
    services.add_availability(user=doctor, start_date=today, end_date=today + timedelta(days=10))
    assert volunteer.needs_lodging and list(volunteer.zones.all()) == [riscle_site.zone]
    assert volunteer.availabilities.count() == 1


def test_saving_the_profile_again_updates_it_without_duplicating(doctor, riscle_site, marciac_site):
    _profile(doctor, zones=[riscle_site.zone])
    _profile(doctor, sites=[marciac_site], days=1)
    volunteer = Volunteer.objects.get()
    assert volunteer.max_days_per_month == 1
    assert list(volunteer.sites.all()) == [marciac_site] and not volunteer.zones.exists()


@pytest.mark.parametrize("days", [0, -1, 3, 100001])
def test_the_monthly_days_must_stay_within_the_national_cap(doctor, riscle_site, days):
    with pytest.raises(InvalidInput) as refused:
        _profile(doctor, zones=[riscle_site.zone], days=days)
    assert refused.value.code == "invalid_days_per_month"
    assert not Volunteer.objects.exists()


def test_the_national_cap_is_configurable(doctor, riscle_site, settings):
    settings.VOLUNTEER_MAX_DAYS_PER_MONTH = 4
    assert _profile(doctor, zones=[riscle_site.zone], days=4).max_days_per_month == 4


def test_a_volunteer_must_accept_at_least_one_zone_or_site(doctor, occitanie):
    with pytest.raises(InvalidInput):
        _profile(doctor)


def test_a_nurse_cannot_volunteer(nurse, riscle_site):
    with pytest.raises(NotAllowed):
        _profile(nurse, zones=[riscle_site.zone])


def test_a_doctor_with_a_pending_account_cannot_volunteer(riscle_site):
    pending = make_doctor("en.attente@exemple.fr", status=AccountStatus.PENDING)
    with pytest.raises(NotAllowed):
        _profile(pending, zones=[riscle_site.zone])


def test_availability_in_the_past_reversed_or_overlapping_is_refused(volunteer, doctor):
    today = timezone.localdate()
    for start, end, code in [
        (today - timedelta(days=1), today, "period_in_past"),
        (today + timedelta(days=5), today + timedelta(days=4), "period_reversed"),
        (today + timedelta(days=5), today + timedelta(days=6), "period_overlaps"),
    ]:
        with pytest.raises((InvalidInput, Conflict)) as refused:
            services.add_availability(user=doctor, start_date=start, end_date=end)
        assert refused.value.code == code
    assert volunteer.availabilities.count() == 1


def test_a_doctor_cannot_remove_someone_elses_availability(volunteer, occitanie):
    other = make_doctor("autre.medecin@exemple.fr")
    make_volunteer(other)
    with pytest.raises(NotFound):
        services.remove_availability(user=other, availability_id=volunteer.availabilities.get().pk)


# --- Missions ---------------------------------------------------------------------------------


def test_ars_staff_of_the_region_create_a_mission_and_confirm_lodging(volunteer, riscle_site, ars_occitanie):
    mission = make_mission(volunteer, riscle_site, ars_occitanie)
    services.confirm_lodging(user=ars_occitanie, mission_id=mission.pk, lodging_note="Gîte communal")
    mission.refresh_from_db()
    assert mission.status == MissionStatus.PLANNED and mission.lodging_confirmed


def test_ars_staff_of_another_region_are_refused(volunteer, riscle_site, ars_paca):
    with pytest.raises(NotAllowed):
        make_mission(volunteer, riscle_site, ars_paca)


def test_a_site_coordinator_manages_missions_of_their_site_only(volunteer, riscle_site, marciac_site, nurse):
    riscle_site.coordinators.add(nurse)
    mission = make_mission(volunteer, riscle_site, nurse)
    assert mission.created_by == nurse
    volunteer.sites.add(marciac_site)
    with pytest.raises(NotAllowed):
        make_mission(volunteer, marciac_site, nurse, days_ahead=20)


def test_the_site_gate_agrees_with_the_sites_listed_to_each_manager(
    riscle_site, marciac_site, nurse, ars_occitanie, ars_paca, riscle_pharmacist
):
    riscle_site.coordinators.add(nurse)
    expected = {
        nurse: {riscle_site.pk},
        ars_occitanie: {riscle_site.pk, marciac_site.pk},
        ars_paca: set(),
        riscle_pharmacist: set(),
    }
    for user, sites in expected.items():
        assert set(selectors.managed_sites(user).values_list("pk", flat=True)) == sites
        for site in (riscle_site, marciac_site):
            if site.pk in sites:
                assert selectors.site_for_manager(user, site.pk) == site
            else:
                with pytest.raises(NotAllowed) as refused:
                    selectors.site_for_manager(user, site.pk)
                assert refused.value.code == "not_site_manager"
    for unknown in (10**12, 0, "abc", None):
        with pytest.raises(NotFound):
            selectors.site_for_manager(ars_occitanie, unknown)


def test_a_pharmacist_cannot_create_missions(volunteer, riscle_site, riscle_pharmacist):
    with pytest.raises(NotAllowed):
        make_mission(volunteer, riscle_site, riscle_pharmacist)


def test_a_mission_outside_the_availability_is_refused(volunteer, riscle_site, ars_occitanie):
    with pytest.raises(Conflict) as refused:
        make_mission(volunteer, riscle_site, ars_occitanie, days_ahead=90)
    assert refused.value.code == "outside_availability"


def test_a_mission_at_a_site_the_doctor_did_not_accept_is_refused(volunteer, marciac_site, ars_occitanie):
    with pytest.raises(Conflict) as refused:
        make_mission(volunteer, marciac_site, ars_occitanie)
    assert refused.value.code == "site_not_accepted"


def test_the_monthly_cap_of_the_doctor_is_enforced(volunteer, riscle_site, ars_occitanie):
    first = timezone.localdate().replace(day=1) + timedelta(days=40)  # well inside next month
    first = first.replace(day=1)
    volunteer.availabilities.update(end_date=first + timedelta(days=27))
    services.create_mission(
        user=ars_occitanie,
        volunteer_id=volunteer.pk,
        site_id=riscle_site.pk,
        start_date=first,
        end_date=first,
    )
    services.create_mission(
        user=ars_occitanie,
        volunteer_id=volunteer.pk,
        site_id=riscle_site.pk,
        start_date=first + timedelta(days=7),
        end_date=first + timedelta(days=7),
    )
    with pytest.raises(Conflict) as refused:
        services.create_mission(
            user=ars_occitanie,
            volunteer_id=volunteer.pk,
            site_id=riscle_site.pk,
            start_date=first + timedelta(days=14),
            end_date=first + timedelta(days=14),
        )
    assert refused.value.code == "monthly_cap_reached"
    assert volunteer.missions.count() == 2


def test_overlapping_missions_are_refused(volunteer, riscle_site, ars_occitanie):
    make_mission(volunteer, riscle_site, ars_occitanie)
    with pytest.raises(Conflict) as refused:
        make_mission(volunteer, riscle_site, ars_occitanie)
    assert refused.value.code == "mission_overlaps"


@pytest.mark.parametrize("minutes", [0, -20, 4, 121, 100001])
def test_slot_durations_out_of_range_are_refused(volunteer, riscle_site, ars_occitanie, minutes):
    mission = make_mission(volunteer, riscle_site, ars_occitanie)
    with pytest.raises(InvalidInput):
        services.publish_slots(
            user=ars_occitanie,
            mission_id=mission.pk,
            day_start=time(9),
            day_end=time(12),
            slot_minutes=minutes,
        )
    assert not mission.slots.exists()


def test_slots_are_published_once_and_never_for_a_cancelled_mission(volunteer, riscle_site, ars_occitanie):
    mission = publish(make_mission(volunteer, riscle_site, ars_occitanie), ars_occitanie)
    with pytest.raises(Conflict) as again:
        publish(mission, ars_occitanie)
    assert again.value.code == "already_published"
    other = make_mission(volunteer, riscle_site, ars_occitanie, days_ahead=10)
    services.cancel_mission(user=ars_occitanie, mission_id=other.pk)
    with pytest.raises(Conflict) as cancelled:
        publish(other, ars_occitanie)
    assert cancelled.value.code == "mission_cancelled"


def test_cancelling_a_mission_cancels_its_bookings_and_tells_the_patients(
    slots, mission, ars_occitanie, mailoutbox, committed
):
    booking = services.book_slot(slot_id=slots[0].pk, **patient()).value
    mailoutbox.clear()
    assert committed(services.cancel_mission, user=ars_occitanie, mission_id=mission.pk) == 1
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert [m.to for m in mailoutbox] == [["jeanne.lacoste@exemple.fr"]]
    assert "annulée" in mailoutbox[0].subject


# --- The doctor's day ---------------------------------------------------------------------------------


@pytest.fixture
def todays_booking(volunteer, riscle_site, ars_occitanie):
    """A booking for a slot earlier today (booked when it was still ahead)."""
    today = timezone.localdate()
    mission = services.create_mission(
        user=ars_occitanie,
        volunteer_id=volunteer.pk,
        site_id=riscle_site.pk,
        start_date=today,
        end_date=today,
    )
    early = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(hours=60)
    services.publish_slots(
        user=ars_occitanie, mission_id=mission.pk, day_start=time(8, 0), day_end=time(20, 0), now=early
    )
    slot = mission.slots.order_by("starts_at").first()
    return services.book_slot(slot_id=slot.pk, now=slot.starts_at - timedelta(hours=1), **patient()).value


def test_the_doctor_marks_a_patient_attended_and_becoming_their_regular_doctor(todays_booking, doctor):
    services.record_attendance(
        user=doctor, booking_id=todays_booking.pk, attended=True, became_regular_doctor=True
    )
    todays_booking.refresh_from_db()
    assert todays_booking.status == BookingStatus.ATTENDED and todays_booking.became_regular_doctor


def test_a_no_show_never_records_a_new_regular_doctor(todays_booking, doctor):
    services.record_attendance(
        user=doctor, booking_id=todays_booking.pk, attended=False, became_regular_doctor=True
    )
    todays_booking.refresh_from_db()
    assert todays_booking.status == BookingStatus.NO_SHOW and todays_booking.became_regular_doctor is None


def test_another_doctor_cannot_mark_attendance(todays_booking, occitanie):
    other = make_doctor("autre.medecin@exemple.fr")
    with pytest.raises(NotFound):
        services.record_attendance(
            user=other, booking_id=todays_booking.pk, attended=True, became_regular_doctor=False
        )


def test_attendance_cannot_be_marked_before_the_day(slots, doctor):
    booking = services.book_slot(slot_id=slots[0].pk, **patient()).value
    with pytest.raises(Conflict) as refused:
        services.record_attendance(
            user=doctor, booking_id=booking.pk, attended=True, became_regular_doctor=False
        )
    assert refused.value.code == "consultation_not_yet"


# --- Privacy: who sees patient data ---------------------------------------------------------------------


def test_the_doctor_day_page_lists_only_their_own_patients(client, todays_booking, doctor):
    client.force_login(doctor)
    page = html.unescape(client.get(reverse("consultations:doctor_day")).content.decode())
    assert "Lacoste Jeanne" in page and "06 11 22 33 44" in page
    other = make_doctor("autre.medecin@exemple.fr")
    client.force_login(other)
    page = html.unescape(client.get(reverse("consultations:doctor_day")).content.decode())
    assert "Lacoste" not in page


def test_the_site_agenda_is_for_its_coordinators_only(
    client, todays_booking, riscle_site, nurse, ars_occitanie
):
    url = reverse("consultations:site_agenda", args=[riscle_site.pk])
    client.force_login(nurse)
    assert client.get(url).status_code == 403
    riscle_site.coordinators.add(nurse)
    assert "Lacoste" in client.get(url).content.decode()
    client.force_login(ars_occitanie)
    assert client.get(url).status_code == 403


def test_ars_staff_see_aggregated_statistics_without_patient_names(
    client, todays_booking, doctor, ars_occitanie
):
    services.record_attendance(
        user=doctor, booking_id=todays_booking.pk, attended=True, became_regular_doctor=True
    )
    zone = selectors.zone_statistics(ars_occitanie).get()
    assert (
        zone.booking_count,
        zone.without_doctor_count,
        zone.attended_count,
        zone.new_regular_doctor_count,
    ) == (
        1,
        1,
        1,
        1,
    )
    client.force_login(ars_occitanie)
    page = client.get(reverse("consultations:manage_home")).content.decode()
    assert "CC Armagnac Adour" in page and "Lacoste" not in page and "Jeanne" not in page


def test_ars_staff_of_another_region_see_none_of_these_zones(ars_paca, todays_booking):
    assert not selectors.zone_statistics(ars_paca).exists()


def test_can_view_booking_is_limited_to_the_doctor_and_the_coordinators(
    todays_booking, doctor, nurse, ars_occitanie
):
    booking = Booking.objects.select_related(
        "slot__mission__volunteer__professional", "slot__mission__site"
    ).get()
    assert selectors.can_view_booking(doctor, booking)
    assert not selectors.can_view_booking(nurse, booking)
    assert not selectors.can_view_booking(ars_occitanie, booking)
    booking.slot.mission.site.coordinators.add(nurse)
    assert selectors.can_view_booking(nurse, booking)


# --- Pages and roles ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "url_name", "status"),
    [
        ("riscle_pharmacist", "consultations:volunteer_home", 403),
        ("riscle_pharmacist", "consultations:manage_home", 403),
        ("nurse", "consultations:volunteer_home", 403),
        ("nurse", "consultations:manage_home", 403),
        ("doctor", "consultations:volunteer_home", 200),
        ("doctor", "consultations:manage_home", 403),
        ("ars_occitanie", "consultations:manage_home", 200),
        ("ars_occitanie", "consultations:volunteer_home", 403),
        ("administrator", "consultations:manage_home", 200),
    ],
)
def test_each_role_reaches_only_its_own_consultation_pages(
    client, request, riscle_site, persona, url_name, status
):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse(url_name)).status_code == status


def test_anonymous_visitors_are_sent_to_login_for_doctor_and_manager_pages(client, occitanie):
    for name in ["consultations:volunteer_home", "consultations:manage_home", "consultations:doctor_day"]:
        response = client.get(reverse(name))
        assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_a_coordinating_nurse_is_sent_to_the_organisation_page(client, riscle_site, nurse):
    riscle_site.coordinators.add(nurse)
    client.force_login(nurse)
    response = client.get(reverse("consultations:volunteer_home"))
    assert response.status_code == 302 and response["Location"] == reverse("consultations:manage_home")
    assert client.get(response["Location"]).status_code == 200


def test_ars_staff_of_another_region_cannot_open_a_mission(client, mission, ars_paca):
    client.force_login(ars_paca)
    assert client.get(reverse("consultations:mission_detail", args=[mission.pk])).status_code == 404
    response = client.post(reverse("consultations:mission_cancel", args=[mission.pk]))
    assert response.status_code == 403
    mission.refresh_from_db()
    assert mission.status == MissionStatus.PUBLISHED


def test_a_patient_account_cannot_reach_the_organisation_page(client, occitanie):
    client.force_login(UserFactory(role=Role.PATIENT))
    assert client.get(reverse("consultations:manage_home")).status_code == 403


def test_a_professional_who_is_not_a_doctor_cannot_mark_attendance(client, todays_booking):
    physio = professional_user(email="kine@exemple.fr")
    client.force_login(physio)
    response = client.post(reverse("consultations:attendance", args=[todays_booking.pk]), {"attended": "1"})
    assert response.status_code == 403
    todays_booking.refresh_from_db()
    assert todays_booking.status == BookingStatus.BOOKED
