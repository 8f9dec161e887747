"""Pages of the referrals app: care sites (staff), a site's status (its manager, from a phone),
"Adresser un patient" (professionals), the printable slip and the public orientation page."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import role_required
from consultations import selectors as consultation_selectors
from crisis import selectors as crisis_selectors
from gomask.errors import DomainError
from gomask.middleware import refuse_on_form
from pharmacies.selectors import pharmacies_of
from referrals import selectors, services
from referrals.forms import ReferralForm, SiteForm, SiteSearchForm, StatusForm
from referrals.selectors import SiteFilters

SENDERS = services.SENDER_ROLES
STAFF = selectors.STAFF_ROLES


def _map_context() -> dict:
    return {"map_tile_url": settings.MAP_TILE_URL, "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION}


# --- Staff: the directory of care sites -------------------------------------------------


@require_GET
@role_required(*STAFF)
def sites(request):
    """ARS staff (region), CPTS coordinators (territory), administrators: the care sites."""
    return render(
        request,
        "referrals/sites.html",
        {
            "sites": selectors.editable_sites(request.user).order_by("commune__name", "name")[:500],
            "now": timezone.now(),
        },
    )


def _site_form_values(form) -> dict:
    data = form.cleaned_data
    return {
        "kind": data["kind"],
        "name": data["name"],
        "address": data.get("address", ""),
        "commune": data.get("commune"),
        "phone": data.get("phone", ""),
        "email": data.get("email", ""),
        "opening_hours": data.get("opening_hours", ""),
        "access_conditions": data.get("access_conditions", ""),
        "manager_email": data.get("manager_email", ""),
        "finess": data.get("finess", ""),
        "is_active": data.get("is_active", False),
    }


@require_http_methods(["GET", "POST"])
@role_required(*STAFF)
def site_form(request, site_id: int | None = None):
    """Staff: create or edit a care site in their scope."""
    site = selectors.editable_site(request.user, site_id) if site_id is not None else None
    status = 200
    if request.method == "POST":
        form = SiteForm(request.POST)
        if form.is_valid():
            try:
                saved = services.save_site(actor=request.user, site_id=site_id, **_site_form_values(form))
            except DomainError as error:
                status = refuse_on_form(form, error)
            else:
                messages.success(request, _("Site enregistré : %(name)s.") % {"name": saved.name})
                return redirect("referrals:sites")
        else:
            status = 400
    elif site is not None:
        form = SiteForm(
            initial={
                "kind": site.kind,
                "name": site.name,
                "address": site.address,
                "commune": f"{site.commune.name} ({site.commune.insee_code})",
                "phone": site.phone,
                "email": site.email,
                "opening_hours": site.opening_hours,
                "access_conditions": site.access_conditions,
                "manager_email": site.manager.email if site.manager else "",
                "finess": site.finess,
                "is_active": site.is_active,
            }
        )
    else:
        form = SiteForm()
    return render(request, "referrals/site_form.html", {"form": form, "site": site}, status=status)


# --- A site's manager: the status in a few seconds -------------------------------------


@require_GET
@login_required
def my_sites(request):
    """Any validated account: the sites it manages, each with its status and a link to update it."""
    return render(
        request,
        "referrals/my_sites.html",
        {"sites": selectors.managed_sites(request.user), "now": timezone.now()},
    )


@require_http_methods(["GET", "POST"])
@login_required
def site_status(request, site_id: int):
    """The site's manager (or staff in scope): declare open / saturated / closed, places, tracks."""
    site = selectors.declarable_site(request.user, site_id)
    current = getattr(site, "status", None)
    status = 200
    if request.method == "POST":
        form = StatusForm(request.POST)
        if form.is_valid():
            try:
                services.declare_status(actor=request.user, site_id=site.pk, **form.cleaned_data)
            except DomainError as error:
                status = refuse_on_form(form, error)
            else:
                messages.success(request, _("Statut enregistré pour %(name)s.") % {"name": site.name})
                return redirect("referrals:site_status", site_id=site.pk)
        else:
            status = 400
    else:
        initial = {"accepts_referrals": True, "covid_track": True, "non_covid_track": True}
        if current is not None:
            initial = {
                "state": current.state,
                "capacity_left": "" if current.capacity_left is None else current.capacity_left,
                "covid_track": current.covid_track,
                "non_covid_track": current.non_covid_track,
                "accepts_referrals": current.accepts_referrals,
            }
        form = StatusForm(initial=initial)
    return render(
        request,
        "referrals/site_status.html",
        {
            "site": site,
            "current": current,
            "stale": selectors.is_stale(current.declared_at if current else None),
            "form": form,
            "history": selectors.status_history(site, limit=10),
            # Its manager asks for reinforcement from here while the crisis plan is activated.
            "crisis_activation": (
                crisis_selectors.site_activation(site) if site.manager_id == request.user.pk else None
            ),
        },
        status=status,
    )


# --- Professionals: "Adresser un patient" ----------------------------------------------


def _origin(request) -> dict | None:
    user = request.user
    professional = getattr(user, "professional", None)
    if professional is not None:
        return {
            "latitude": professional.latitude,
            "longitude": professional.longitude,
            "label": _("Votre lieu d'exercice"),
        }
    pharmacy = pharmacies_of(user).first()
    if pharmacy is not None:
        return {"latitude": pharmacy.latitude, "longitude": pharmacy.longitude, "label": pharmacy.name}
    return None


def _map_points(rows: list[dict]) -> list[dict]:
    return [
        {
            "id": row["site_id"],
            "name": row["name"],
            "lat": row["latitude"],
            "lng": row["longitude"],
            "label": f"{row['name']} — {row['state_label']}",
            "url": reverse("referrals:refer_site", args=[row["site_id"]]),
        }
        for row in rows
    ]


@require_GET
@role_required(*SENDERS)
def refer(request):
    """Health professionals: the nearest sites accepting referrals now, on a map and a list."""
    form = SiteSearchForm(request.GET or None)
    rows, origin, status = [], None, 200
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        place = data.get("place")
        if place is not None:
            origin = {"latitude": place.latitude, "longitude": place.longitude, "label": place.name}
        else:
            origin = _origin(request)
        if origin is not None:
            rows = selectors.nearest_accepting_sites(
                latitude=origin["latitude"],
                longitude=origin["longitude"],
                filters=SiteFilters(
                    kind=data.get("kind", ""),
                    track=data.get("track", ""),
                    open_now=data.get("open_now", False),
                ),
                limit=10,
            )
    else:
        status = 400
    return render(
        request,
        "referrals/refer.html",
        {
            "form": form,
            "rows": rows,
            "origin": origin,
            "map_points": _map_points(rows),
            "sent": selectors.sent_referrals(request.user, limit=5),
            **_map_context(),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@role_required(*SENDERS)
def refer_site(request, site_id: int):
    """Health professionals: the slip for one site (the reason in a few words), then send it."""
    row = selectors.accepting_site_row(site_id)
    if row is None:
        raise Http404(_("Ce site n'accepte pas de patients adressés en ce moment."))
    status = 200
    form = ReferralForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                referral = services.send_referral(
                    actor=request.user, site_id=site_id, reason=form.cleaned_data["reason"]
                )
            except DomainError as error:
                status = refuse_on_form(form, error)
            else:
                return redirect("referrals:slip", referral_id=referral.pk)
        else:
            status = 400
    return render(
        request,
        "referrals/refer_site.html",
        {"site": row, "form": form, "retention_days": settings.REFERRAL_RETENTION_DAYS},
        status=status,
    )


@require_GET
@role_required(*SENDERS)
def slip(request, referral_id: int):
    """The sender: the printable slip."""
    referral = selectors.referral_for_sender(request.user, referral_id)
    return render(
        request,
        "referrals/slip.html",
        {"referral": referral, "retention_days": settings.REFERRAL_RETENTION_DAYS},
    )


# --- The population: where to go today -----------------------------------------------


@require_GET
def orientation_home(request):
    """Anyone: type a postal code or pick a département to reach its orientation page."""
    code = (request.GET.get("code") or "").strip().replace(" ", "")
    error = ""
    if code:
        from territories.selectors import find_communes

        communes = (
            find_communes(code, limit=1) if code.isascii() and code.isdigit() and len(code) == 5 else []
        )
        if communes:
            return redirect("referrals:orientation", code=communes[0].insee_code)
        if code.isascii() and code.isalnum() and len(code) <= 3:
            return redirect("referrals:orientation", code=code.upper())
        error = _("Code postal ou département inconnu : tapez par exemple 32400 ou 32.")
    return render(
        request,
        "referrals/orientation_home.html",
        {"code": code, "error": error, "departements": consultation_selectors.departements_with_sites()},
        status=400 if error else 200,
    )


@require_GET
def orientation(request, code: str):
    """Anyone, no account: where to go today in a département or around a commune."""
    try:
        place = selectors.territory(code)
    except DomainError as error:
        raise Http404(str(error.message)) from error
    departement = place.departement
    consultations = [
        result
        for result in consultation_selectors.sites_of_departement(code=departement.code, per_site=1)[1]
        if result.free_count
    ]
    bulletins = selectors.public_bulletins_of_region(departement.region_id)
    return render(
        request,
        "referrals/orientation.html",
        {
            "place": place,
            "sites": selectors.open_sites_of(place),
            "consultations": consultations,
            "bulletins": bulletins,
            "now": timezone.now(),
        },
    )
