"""HTML pages of the solidarity consultations: thin, one service or selector call each."""

from datetime import date
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role
from accounts.permissions import PROFESSIONAL, is_doctor, role_required
from consultations import alerts, selectors, services, waiting_room
from consultations.emails import booking_ics as booking_ics_text
from consultations.forms import (
    AttendanceForm,
    AvailabilityForm,
    BookingForm,
    EligibilityForm,
    LodgingForm,
    MissionForm,
    PlaceAlertForm,
    PublishSlotsForm,
    SearchForm,
    VolunteerProfileForm,
    WaitingListForm,
)
from consultations.ics import ics_content_type
from consultations.models import BookingStatus, MissionStatus
from gomask.client_ip import client_ip
from gomask.clock import local_date
from gomask.errors import Conflict, DomainError, InvalidInput

MANAGER_ROLES = (Role.ARS_STAFF, Role.ADMIN, Role.PROFESSIONAL)


def client_key(request) -> str:
    """The client address used by the booking rate limit (see TRUSTED_PROXY_COUNT)."""
    return client_ip(request)


def _map_points(results) -> list[dict]:
    return [
        {
            "name": r.site.name,
            "lat": r.site.latitude,
            "lng": r.site.longitude,
            "url": reverse("consultations:site_detail", args=[r.site.pk]),
            "free": r.free_count,
        }
        for r in results
    ]


def _map_context() -> dict:
    return {"map_tile_url": settings.MAP_TILE_URL, "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION}


# --- Public pages (anyone, no account) ---------------------------------------------------------


@require_GET
def patient_home(request):
    """Public: search sites by commune or postal code; nearest first, with their next free slots."""
    form = SearchForm(request.GET or None)
    results, page = None, None
    if form.is_bound and form.is_valid():
        results = selectors.search_sites(commune=form.cleaned_data["q"], sort=form.cleaned_data["sort"])
        page = Paginator(results, 10).get_page(request.GET.get("page"))
    return render(
        request,
        "consultations/patient_home.html",
        {
            "form": form,
            "page": page,
            "commune": form.cleaned_data.get("q") if form.is_bound and form.is_valid() else None,
            "departements": selectors.departements_with_sites(),
            "alert_form": PlaceAlertForm(initial={"place": request.GET.get("q", "")[:100]}),
            "alert_radius_km": settings.SLOT_ALERT_RADIUS_KM,
            "map_points": _map_points(page.object_list) if page else [],
            "now": timezone.now(),
            **_map_context(),
        },
    )


@require_GET
def departement(request, code: str):
    """Public: the consultation sites of a département with their next free slots."""
    found, results = selectors.sites_of_departement(code=code)
    return render(
        request,
        "consultations/departement.html",
        {
            "departement": found,
            "results": results,
            "map_points": _map_points(results),
            "now": timezone.now(),
            **_map_context(),
        },
    )


@require_GET
def site_detail(request, site_id: int):
    """Public: a site's free slots by day, and its waiting list."""
    site = selectors.public_site(site_id)
    page = Paginator(selectors.site_free_slots(site=site), 60).get_page(request.GET.get("page"))
    return render(
        request,
        "consultations/site_detail.html",
        {
            "site": site,
            "page": page,
            "days": selectors.slots_by_day(page.object_list),
            "doctors": selectors.site_doctors(site=site),
            "now": timezone.now(),
            "waiting_form": WaitingListForm(),
        },
    )


def _join_alert(request, form, **target) -> None:
    """Record an alert from a valid form; a message says what happened."""
    try:
        alerts.join_waiting_list(
            email=form.cleaned_data["email"],
            phone=form.cleaned_data["phone"],
            rate_limit_key=client_key(request),
            **target,
        )
    except (InvalidInput, Conflict) as exc:
        messages.error(request, exc.message)
        return
    messages.success(
        request,
        _(
            "C'est noté : nous vous préviendrons une fois, dès qu'un créneau s'ouvre. Chaque "
            "message permet de supprimer l'alerte."
        ),
    )


@require_POST
def waiting_list(request, site_id: int):
    """Public: leave an alert (e-mail or mobile) for a site: told once when a slot opens."""
    form = WaitingListForm(request.POST)
    if form.is_valid():
        _join_alert(request, form, site_id=site_id)
    else:
        messages.error(request, _("Vérifiez le formulaire : %(errors)s") % {"errors": _errors_text(form)})
    return redirect("consultations:site_detail", site_id=site_id)


@require_POST
def alert_create(request):
    """Public: leave an alert (e-mail or mobile) for the sites near a commune or postal code."""
    form = PlaceAlertForm(request.POST)
    if form.is_valid():
        _join_alert(request, form, commune=form.cleaned_data["place"])
    else:
        messages.error(request, _("Vérifiez le formulaire : %(errors)s") % {"errors": _errors_text(form)})
    query = urlencode({"q": (request.POST.get("place") or "")[:100]})
    return redirect(f"{reverse('consultations:patient_home')}?{query}#alerte")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def alert_unsubscribe(request, token: str):
    """Whoever holds the signed link (no account): GET asks for the one click, POST deletes the alert.

    CSRF-exempt like the notifications' unsubscribe: mail clients post RFC 8058 one-click requests
    without a session; the salted signature is the credential."""
    try:
        alerts.read_unsubscribe_token(token)
        removed = alerts.unsubscribe(token=token) if request.method == "POST" else None
    except DomainError as exc:
        return render(
            request, "consultations/alert_unsubscribe.html", {"error": exc.message}, status=exc.status
        )
    return render(request, "consultations/alert_unsubscribe.html", {"token": token, "removed": removed})


def _eligibility_refusal(slot, form) -> DomainError | None:
    return services.priority_refusal(
        slot,
        lives_in_zone=form.cleaned_data["commune"].epci_id == slot.mission.site.zone.epci_id,
        has_regular_doctor=form.cleaned_data["has_regular_doctor"],
    )


@require_http_methods(["GET", "POST"])
def book(request, slot_id: int):
    """Public: book a slot without an account.

    During the slot's priority window the two eligibility questions (commune, médecin traitant)
    come first, on their own (GET), so that nobody fills the whole form to be refused."""
    slot = selectors.slot_for_booking_page(slot_id)
    if slot is None or slot.mission.status == MissionStatus.PLANNED:
        raise Http404(_("Ce créneau n'existe pas."))
    now = timezone.now()
    context = {"slot": slot, "site": slot.mission.site, "now": now, "priority": slot.is_priority_at(now)}
    error, status = None, 200
    if request.method == "GET":
        eligibility = EligibilityForm(request.GET or None)
        if context["priority"] and not (eligibility.is_bound and eligibility.is_valid()):
            context.update(eligibility_form=eligibility, status=400 if eligibility.is_bound else 200)
            return render(request, "consultations/book.html", context, status=context["status"])
        answered = eligibility.is_bound and eligibility.is_valid()
        refusal = _eligibility_refusal(slot, eligibility) if answered else None
        if refusal is not None:
            context.update(eligibility_form=eligibility, error=refusal)
            return render(request, "consultations/book.html", context, status=refusal.status)
        answers = (
            {name: eligibility[name].value() for name in ("commune", "has_regular_doctor")}
            if eligibility.is_bound
            else None
        )
        form = BookingForm(initial=answers)
    else:
        form = BookingForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                booked = services.book_slot(
                    slot_id=slot.pk,
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    birth_date=data["birth_date"],
                    phone=data["phone"],
                    email=data["email"],
                    commune_code=data["commune"].insee_code,
                    has_regular_doctor=data["has_regular_doctor"],
                    rate_limit_key=client_key(request),
                )
            except DomainError as exc:
                error, status = exc, exc.status
                if exc.field and exc.field in form.fields:
                    form.add_error(exc.field, str(exc.message))
                    error = None
            else:
                if booked.replayed:
                    messages.info(request, _("Ce rendez-vous est déjà enregistré à votre nom : le voici."))
                else:
                    messages.success(
                        request,
                        _("Votre rendez-vous est confirmé. Un e-mail de confirmation vous est envoyé."),
                    )
                return redirect("consultations:booking_detail", token=services.booking_token(booked.value))
        else:
            status = 400
    context.update(form=form, error=error)
    return render(request, "consultations/book.html", context, status=status)


@require_GET
def waiting_room_page(request):
    """Public: the waiting room of booking in a rush — the person's position, refreshed by itself
    (no JavaScript needed) until their turn, then back to the booking page they asked for."""
    raw = request.GET.get("suite") or ""
    path, _sep, query = raw.partition("?")
    suite = waiting_room.safe_next(path)
    if raw and suite is None:
        return render(
            request,
            "consultations/waiting_room.html",
            {"error": _("Ce lien de file d'attente n'est pas valide : revenez à la recherche de créneaux.")},
            status=400,
        )
    target = (suite + (f"?{query}" if query else "")) if suite else reverse("consultations:patient_home")
    if not waiting_room.enabled():
        return redirect(target)
    try:
        found = waiting_room.place(waiting_room.unsign(request.COOKIES.get(waiting_room.COOKIE)))
    except Exception:  # noqa: BLE001 - Redis unreachable: no queue, booking stays open.
        return redirect(target)
    if found.admitted:
        response = redirect(target)
    else:
        refresh = max(3, min(20, round(found.wait_seconds)))
        response = render(
            request,
            "consultations/waiting_room.html",
            {
                "place": found,
                "refresh": refresh,
                "minutes": round(found.wait_seconds / 60),  # 0: "moins d'une minute"
                "message": waiting_room.waiting_message(found.position),
                "target": target,
            },
        )
    response["Cache-Control"] = "no-store"
    waiting_room.set_cookie(response, found)
    return response


@require_GET
def booking_detail(request, token: str):
    """Whoever holds the signed link (the patient): their appointment."""
    try:
        booking = services.booking_from_token(token)
    except DomainError as exc:
        return render(request, "consultations/link_error.html", {"error": exc}, status=exc.status)
    return render(
        request,
        "consultations/booking_detail.html",
        {"booking": booking, "site": booking.slot.mission.site, "token": token},
    )


@require_GET
def booking_ics(request, token: str):
    """Whoever holds the signed link (the patient): the appointment as a calendar file.

    A cancelled appointment gives the cancelling file (METHOD:CANCEL), which removes the event."""
    try:
        booking = services.booking_from_token(token)
    except DomainError as exc:
        return render(request, "consultations/link_error.html", {"error": exc}, status=exc.status)
    cancelled = booking.status == BookingStatus.CANCELLED
    response = HttpResponse(
        booking_ics_text(booking, now=timezone.now(), cancelled=cancelled),
        content_type=f"{ics_content_type(cancelled=cancelled)}; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="consultation.ics"'
    return response


@require_http_methods(["GET", "POST"])
def cancel(request, token: str):
    """Whoever holds the signed link (the patient): cancel the appointment."""
    try:
        booking = services.booking_from_token(token)
    except DomainError as exc:
        return render(request, "consultations/link_error.html", {"error": exc}, status=exc.status)
    if request.method == "POST":
        try:
            services.cancel_booking(token=token)
        except DomainError as exc:
            messages.error(request, exc.message)
            return render(
                request,
                "consultations/cancel.html",
                {"booking": booking, "site": booking.slot.mission.site},
                status=exc.status,
            )
        messages.success(
            request, _("Votre rendez-vous est annulé : le créneau est libéré pour un autre patient.")
        )
        return redirect("consultations:booking_detail", token=token)
    return render(
        request, "consultations/cancel.html", {"booking": booking, "site": booking.slot.mission.site}
    )


# --- Volunteer doctors (professional accounts of médecins) --------------------------------------


def _volunteer_or_403(user):
    return services.volunteer_of(user)


@role_required(*PROFESSIONAL)
def volunteer_home(request):
    """Médecins (validated professional account): their volunteer profile, availability and missions.

    Other professionals who coordinate a site are sent to the organisation page."""
    if not is_doctor(request.user) and selectors.is_manager(request.user):
        return redirect("consultations:manage_home")
    volunteer = _volunteer_or_403(request.user)
    initial = {"max_days_per_month": settings.VOLUNTEER_MAX_DAYS_PER_MONTH}
    if volunteer:
        initial = {
            "zones": list(volunteer.zones.all()),
            "sites": list(volunteer.sites.all()),
            "max_days_per_month": volunteer.max_days_per_month,
            "needs_lodging": volunteer.needs_lodging,
        }
    return render(
        request,
        "consultations/volunteer_home.html",
        {
            "volunteer": volunteer,
            "profile_form": VolunteerProfileForm(initial=initial),
            "availability_form": AvailabilityForm(),
            "availabilities": volunteer.availabilities.all() if volunteer else [],
            "missions": selectors.missions_of_volunteer(volunteer) if volunteer else [],
        },
    )


@require_POST
@role_required(*PROFESSIONAL)
def volunteer_profile(request):
    """Médecins: save the zones and sites they accept, their monthly cap and lodging need."""
    _volunteer_or_403(request.user)
    form = VolunteerProfileForm(request.POST)
    if form.is_valid():
        try:
            services.save_volunteer_profile(
                user=request.user,
                zone_ids=[z.pk for z in form.cleaned_data["zones"]],
                site_ids=[s.pk for s in form.cleaned_data["sites"]],
                max_days_per_month=form.cleaned_data["max_days_per_month"],
                needs_lodging=form.cleaned_data["needs_lodging"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Merci : votre engagement de médecin solidaire est enregistré."))
    else:
        messages.error(request, _("Vérifiez le formulaire : %(errors)s") % {"errors": _errors_text(form)})
    return redirect("consultations:volunteer_home")


def _errors_text(form) -> str:
    return " ".join(
        f"{form.fields[name].label if name in form.fields else ''} : {' '.join(errs)}".strip(" :")
        for name, errs in form.errors.items()
    )


@require_POST
@role_required(*PROFESSIONAL)
def availability_add(request):
    """Médecins: add a period of availability."""
    _volunteer_or_403(request.user)
    form = AvailabilityForm(request.POST)
    if form.is_valid():
        try:
            services.add_availability(user=request.user, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Disponibilité ajoutée."))
    else:
        messages.error(request, _("Vérifiez le formulaire : %(errors)s") % {"errors": _errors_text(form)})
    return redirect("consultations:volunteer_home")


@require_POST
@role_required(*PROFESSIONAL)
def availability_delete(request, availability_id: int):
    """Médecins: remove one of their own periods of availability."""
    _volunteer_or_403(request.user)
    services.remove_availability(user=request.user, availability_id=availability_id)
    messages.success(request, _("Disponibilité retirée."))
    return redirect("consultations:volunteer_home")


def _day_param(request) -> date:
    raw = request.GET.get("date") or request.POST.get("date")
    if raw:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    return local_date(timezone.now())


@role_required(*PROFESSIONAL)
def doctor_day(request):
    """Médecins: the patients booked on their own missions for a day; mark attendance."""
    _volunteer_or_403(request.user)
    day = _day_param(request)
    return render(
        request,
        "consultations/doctor_day.html",
        {
            "day": day,
            "bookings": selectors.doctor_day(user=request.user, day=day),
            "attendance_form": AttendanceForm(),
            "today": local_date(timezone.now()),
        },
    )


@require_POST
@role_required(*PROFESSIONAL)
def attendance(request, booking_id: int):
    """Médecins: mark one of their patients attended or absent."""
    form = AttendanceForm(request.POST)
    day = _day_param(request)
    if form.is_valid():
        try:
            services.record_attendance(
                user=request.user,
                booking_id=booking_id,
                attended=form.cleaned_data["attended"],
                became_regular_doctor=form.cleaned_data["became_regular_doctor"],
            )
        except (InvalidInput, Conflict) as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Présence enregistrée."))
    else:
        messages.error(request, _("Indiquez si le patient est venu."))
    return redirect(f"{reverse('consultations:doctor_day')}?date={day.isoformat()}")


# --- Managers: ARS staff of the region, site coordinators ------------------------------------------


def _ensure_manager(user):
    if not selectors.is_manager(user):
        raise PermissionDenied(_("Cette page est réservée à l'ARS et aux coordinateurs des lieux."))


@role_required(*MANAGER_ROLES)
def manage_home(request):
    """ARS staff (their region) and site coordinators (their sites): volunteers, missions, statistics."""
    _ensure_manager(request.user)
    user = request.user
    volunteers = list(selectors.volunteers_for_manager(user))
    sites = list(selectors.managed_sites(user))
    missions = Paginator(selectors.managed_missions(user), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "consultations/manage_home.html",
        {
            "volunteers": volunteers,
            "sites": sites,
            "page": missions,
            "mission_form": MissionForm(volunteers=volunteers, sites=sites),
            "statistics": selectors.zone_statistics(user)
            if user.role in (Role.ARS_STAFF, Role.ADMIN)
            else None,
        },
    )


@require_POST
@role_required(*MANAGER_ROLES)
def mission_create(request):
    """ARS staff (their region) and site coordinators: match a volunteer to a site for some days."""
    _ensure_manager(request.user)
    volunteers = list(selectors.volunteers_for_manager(request.user))
    sites = list(selectors.managed_sites(request.user))
    form = MissionForm(request.POST, volunteers=volunteers, sites=sites)
    if not form.is_valid():
        messages.error(request, _("Vérifiez le formulaire : %(errors)s") % {"errors": _errors_text(form)})
        return redirect("consultations:manage_home")
    try:
        mission = services.create_mission(
            user=request.user,
            volunteer_id=int(form.cleaned_data["volunteer"]),
            site_id=int(form.cleaned_data["site"]),
            start_date=form.cleaned_data["start_date"],
            end_date=form.cleaned_data["end_date"],
            lodging_note=form.cleaned_data["lodging_note"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("consultations:manage_home")
    messages.success(request, _("Mission créée : publiez maintenant ses créneaux."))
    return redirect("consultations:mission_detail", mission_id=mission.pk)


@role_required(*MANAGER_ROLES)
def mission_detail(request, mission_id: int):
    """ARS staff (their region) and site coordinators: a mission, its lodging and its slots."""
    _ensure_manager(request.user)
    mission = selectors.managed_mission(request.user, mission_id)
    return render(
        request,
        "consultations/mission_detail.html",
        {
            "mission": mission,
            "publish_form": PublishSlotsForm(),
            "lodging_form": LodgingForm(initial={"lodging_note": mission.lodging_note}),
            "slots": mission.slots.order_by("starts_at")[:200],
        },
    )


def _mission_action(request, mission_id, action, success):
    _ensure_manager(request.user)
    try:
        result = action()
    except (InvalidInput, Conflict) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success(result))
    return redirect("consultations:mission_detail", mission_id=mission_id)


@require_POST
@role_required(*MANAGER_ROLES)
def mission_publish(request, mission_id: int):
    """ARS staff (their region) and site coordinators: create and open the mission's slots."""
    form = PublishSlotsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Vérifiez le formulaire : %(errors)s") % {"errors": _errors_text(form)})
        return redirect("consultations:mission_detail", mission_id=mission_id)
    return _mission_action(
        request,
        mission_id,
        lambda: services.publish_slots(user=request.user, mission_id=mission_id, **form.cleaned_data),
        lambda count: _("%(count)s créneaux publiés.") % {"count": count},
    )


@require_POST
@role_required(*MANAGER_ROLES)
def mission_lodging(request, mission_id: int):
    """ARS staff (their region) and site coordinators: confirm the volunteer's lodging."""
    form = LodgingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Précisez l'hébergement proposé."))
        return redirect("consultations:mission_detail", mission_id=mission_id)
    return _mission_action(
        request,
        mission_id,
        lambda: services.confirm_lodging(
            user=request.user, mission_id=mission_id, lodging_note=form.cleaned_data["lodging_note"]
        ),
        lambda _mission: _("Hébergement confirmé."),
    )


@require_POST
@role_required(*MANAGER_ROLES)
def mission_cancel(request, mission_id: int):
    """ARS staff (their region) and site coordinators: cancel a mission (patients are told)."""
    return _mission_action(
        request,
        mission_id,
        lambda: services.cancel_mission(user=request.user, mission_id=mission_id),
        lambda count: _("Mission annulée ; %(count)s patient(s) prévenu(s).") % {"count": count},
    )


@role_required(Role.PROFESSIONAL, Role.ARS_STAFF)
def site_agenda(request, site_id: int):
    """Site coordinators only: the day's bookings at their site."""
    day = _day_param(request)
    site, bookings = selectors.site_agenda(user=request.user, site_id=site_id, day=day)
    return render(request, "consultations/site_agenda.html", {"site": site, "bookings": bookings, "day": day})
