"""Pages of the distribution app: the counter, options, history, and the ARS pages.

Thin views: each parses a form, calls one service or selector, and shows the outcome; a
refusal (DomainError) is shown next to the form with its HTTP status; any other refusal goes
up to the one HTML error path (gomask.middleware).
"""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import ARS, PHARMACIST, PROFESSIONAL, role_required
from distribution import quotas, selectors, services
from distribution.forms import (
    DEFAULT_RADIUS_KM,
    CounterSearchForm,
    DispenseForm,
    MaskSearchForm,
    QuotaPolicyForm,
    ReserveForm,
    ShipmentForm,
)
from distribution.models import MAX_QUANTITY
from gomask import clock
from gomask.errors import Conflict, DomainError, InvalidInput
from gomask.middleware import refuse_on_form
from pharmacies.selectors import (
    active_products,
    band_label,
    nearest_pharmacies_with_stock,
    pharmacies_of,
    pharmacy_for_member,
)
from pharmacies.wording import masks
from professionals.models import Professional

PAGE_SIZE = 25


def _page(request, rows):
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


# --- ARS ----------------------------------------------------------------------------------


@role_required(*ARS)
def ars_home(request):
    """ARS staff (their region) and national administrators."""
    return render(request, "distribution/ars_home.html", {"region": request.user.region})


@role_required(*ARS)
def quota_policies(request):
    """ARS staff (national versions and their region's) and administrators (all): quota versions."""
    return render(
        request,
        "distribution/quota_policies.html",
        {"page": _page(request, selectors.policies_visible_to(request.user))},
    )


@role_required(*ARS)
def quota_policy_create(request):
    """ARS staff add a version for their region; administrators for a region or nationally."""
    products = active_products()
    form = QuotaPolicyForm(request.POST or None, user=request.user, products=products)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                policy = services.add_quota_policy(
                    actor=request.user,
                    profession=data["profession"],
                    product_code=data["product"],
                    quantity=data["quantity"],
                    effective_from=data["effective_from"],
                    region_code=data["region"] or None,
                    note=data["note"],
                )
            except DomainError as error:
                status = refuse_on_form(form, error)
            else:
                messages.success(
                    request,
                    _("Nouvelle version enregistrée : %(policy)s.") % {"policy": policy},
                )
                return redirect("distribution:quota_policies")
        else:
            status = 400
    return render(request, "distribution/quota_policy_form.html", {"form": form}, status=status)


@role_required(*ARS)
def shipments(request):
    """ARS staff (their region) and administrators: shipments from the regional stock."""
    return render(
        request,
        "distribution/shipments.html",
        {
            "page": _page(request, selectors.shipments_visible_to(request.user)),
            "care_sites": selectors.care_sites_visible_to(request.user),
        },
    )


@role_required(*ARS)
def shipment_create(request):
    """ARS staff ship masks from their regional stock to a pharmacy or a care site of their region."""
    from pharmacies.services import registered_pharmacy

    care_sites = selectors.care_sites_visible_to(request.user)
    form = ShipmentForm(request.POST or None, care_sites=care_sites, products=active_products())
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                pharmacy_id = care_site_id = None
                if data["destination"] == "pharmacy":
                    pharmacy_id = registered_pharmacy(data["finess"]).pk
                else:
                    care_site_id = data["care_site"].pk
                shipment = services.create_shipment(
                    actor=request.user,
                    product_code=data["product"],
                    quantity=data["quantity"],
                    source=data["source"],
                    pharmacy_id=pharmacy_id,
                    care_site_id=care_site_id,
                    note=data["note"],
                )
            except DomainError as error:
                status = refuse_on_form(form, error)
            else:
                messages.success(
                    request,
                    _("Envoi n° %(id)d enregistré : %(quantity)s vers %(destination)s.")
                    % {
                        "id": shipment.pk,
                        "quantity": masks(shipment.quantity, shipment.product),
                        "destination": shipment.destination,
                    },
                )
                return redirect("distribution:shipments")
        else:
            status = 400
    return render(request, "distribution/shipment_form.html", {"form": form}, status=status)


@require_POST
@role_required(*ARS)
def shipment_receive(request, shipment_id: int):
    """ARS staff of the region: record that a COVID centre or a laboratory received a shipment."""
    try:
        shipment = services.record_care_site_receipt(actor=request.user, shipment_id=shipment_id)
    except (InvalidInput, Conflict) as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request, _("Réception enregistrée pour %(site)s.") % {"site": shipment.care_site.name}
        )
    return redirect("distribution:shipments")


# --- pharmacists -------------------------------------------------------------------------------


def _counter_pharmacy(request):
    """The pharmacy the pharmacist works for at the counter (?pharmacie=, else their first)."""
    chosen = request.POST.get("pharmacie") or request.GET.get("pharmacie")
    if chosen:
        return pharmacy_for_member(request.user, chosen)
    pharmacy = pharmacies_of(request.user).order_by("name").first()
    if pharmacy is None:
        raise PermissionDenied(_("Vous n'êtes rattaché à aucune officine validée."))
    return pharmacy


@role_required(*PHARMACIST)
def counter(request):
    """Pharmacists: find a professional by RPPS/ADELI number or name, at one of their pharmacies."""
    pharmacy = _counter_pharmacy(request)
    form = CounterSearchForm(request.GET if "q" in request.GET else None)
    results, status = None, 200
    if form.is_bound and form.is_valid():
        try:
            results = selectors.find_professionals(form.cleaned_data["q"], pharmacy=pharmacy)
        except DomainError as error:
            status = refuse_on_form(form, error)
        else:
            if results.by_number and len(results.professionals) == 1:
                # A card read at the counter: straight to that professional.
                url = reverse("distribution:counter_professional", args=[results.professionals[0].pk])
                return redirect(f"{url}?pharmacie={pharmacy.pk}")
    elif form.is_bound:
        status = 400
    return render(
        request,
        "distribution/counter.html",
        {
            "form": form,
            "pharmacy": pharmacy,
            "pharmacies": pharmacies_of(request.user).order_by("name"),
            "results": results,
        },
        status=status,
    )


@role_required(*PHARMACIST)
def counter_professional(request, professional_id: int):
    """Pharmacists: a professional at the counter — identity, week's history, quota, handover."""
    pharmacy = _counter_pharmacy(request)
    try:
        professional = services.eligible_professional(professional_id)
        refusal = None
    except Conflict as error:
        professional = Professional.objects.select_related("user", "practice_commune").get(pk=professional_id)
        refusal = str(error.message)
    options_here = list(selectors.active_reservations(professional, pharmacy=pharmacy))
    allowances = selectors.handover_allowances(professional, pharmacy)
    # Only what may be handed over now is offered; with nothing left the form is disabled.
    open_rows = [row for row in allowances if row.can_hand_over > 0]
    initial = {"product": open_rows[0].product.code if open_rows else None}
    if options_here and options_here[0].product.code in {row.product.code for row in open_rows}:
        initial = {"product": options_here[0].product.code, "quantity": options_here[0].quantity}
    form = DispenseForm(request.POST or None, allowances=open_rows, initial=initial)
    status = 200
    if request.method == "POST":
        if refusal:
            form.add_error(None, refusal)
            status = 409
        elif not open_rows:
            form.add_error(None, _("Rien ne peut être remis maintenant : voir le détail ci-dessus."))
            status = 409
        elif form.is_valid():
            data = form.cleaned_data
            try:
                # A repeat of the same form (its key) gets the first handover back: same message.
                dispensation = services.dispense.once(
                    idempotency_key=data["idempotency_key"],
                    actor=request.user,
                    pharmacy_id=pharmacy.pk,
                    professional_id=professional.pk,
                    product_code=data["product"],
                    quantity=data["quantity"],
                    identity_checked=data["identity_checked"],
                ).value
            except DomainError as error:
                status = refuse_on_form(form, error)
            else:
                text = ngettext(
                    "Délivrance enregistrée : %(handed)s remis à %(name)s.",
                    "Délivrance enregistrée : %(handed)s remis à %(name)s.",
                    dispensation.quantity,
                ) % {
                    "handed": masks(dispensation.quantity, dispensation.product),
                    "name": professional.full_name,
                }
                messages.success(request, text)
                url = reverse("distribution:counter_professional", args=[professional.pk])
                return redirect(f"{url}?pharmacie={pharmacy.pk}")
        else:
            status = 400
    return render(
        request,
        "distribution/counter_professional.html",
        {
            "pharmacy": pharmacy,
            "professional": professional,
            "refusal": refusal,
            "allowances": allowances,
            "nothing_left": not open_rows,
            "stock_short": [row for row in allowances if row.limited_by == "stock"],
            "next_week": quotas.week_start() + timedelta(days=7),
            "history": selectors.period_dispensations(professional),
            "options_here": options_here,
            "form": form,
        },
        status=status,
    )


@role_required(*PHARMACIST)
def pharmacy_shipments(request):
    """Pharmacists: shipments from the ARS to their pharmacies, to confirm on receipt."""
    rows = selectors.incoming_shipments(pharmacies_of(request.user))
    return render(request, "distribution/pharmacy_shipments.html", {"page": _page(request, rows)})


@require_POST
@role_required(*PHARMACIST)
def confirm_shipment(request, shipment_id: int):
    """Pharmacists of the destination pharmacy: confirm receipt (the masks arrive in the stock)."""
    try:
        shipment = services.confirm_shipment_receipt(actor=request.user, shipment_id=shipment_id)
    except (InvalidInput, Conflict) as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request,
            ngettext(
                "Réception confirmée : %(quantity)s ajouté au stock de %(pharmacy)s.",
                "Réception confirmée : %(quantity)s ajoutés au stock de %(pharmacy)s.",
                shipment.quantity,
            )
            % {"quantity": masks(shipment.quantity, shipment.product), "pharmacy": shipment.pharmacy.name},
        )
    return redirect("distribution:pharmacy_shipments")


# --- professionals ---------------------------------------------------------------------------

MASK_SEARCH_LIMIT = 30


def _professional(request):
    professional = getattr(request.user, "professional", None)
    if professional is None:
        raise PermissionDenied(_("Votre compte n'est relié à aucun professionnel de santé."))
    return professional


@role_required(*PROFESSIONAL)
def reserve(request):
    """Professionals: put an option on masks at a pharmacy (GET ?pharmacy=&product= prefill)."""
    from pharmacies.models import Pharmacy

    professional = _professional(request)
    pharmacies = selectors.pharmacies_near(professional)
    wanted = request.POST.get("pharmacy") or request.GET.get("pharmacy")
    chosen = None
    if wanted and str(wanted).isdigit():
        chosen = Pharmacy.objects.select_related("commune").filter(pk=int(wanted), is_active=True).first()
        if chosen is not None and chosen not in pharmacies:
            pharmacies = [chosen, *pharmacies]
    quota_rows = selectors.quota_overview(professional)
    with_quota = selectors.reservable_quotas(quota_rows)
    # Only the products the professional may still reserve this week are offered.
    open_rows = [row for row in with_quota if row.remaining > 0]
    initial = {
        "pharmacy": chosen.pk if chosen else None,
        "product": open_rows[0].product.code if open_rows else None,
    }
    if request.GET.get("product") in {row.product.code for row in open_rows}:
        initial["product"] = request.GET["product"]
    form = ReserveForm(request.POST or None, pharmacies=pharmacies, quota_rows=open_rows, initial=initial)
    status = 200
    if request.method == "POST" and not open_rows:
        status = 409
    elif request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                reservation = services.reserve.once(
                    idempotency_key=data["idempotency_key"],
                    actor=request.user,
                    pharmacy_id=data["pharmacy"],
                    product_code=data["product"],
                    quantity=data["quantity"],
                ).value
            except DomainError as error:
                status = refuse_on_form(form, error)
            else:
                messages.success(
                    request,
                    _("Option enregistrée : %(quantity)s à %(pharmacy)s, jusqu'au %(expires)s.")
                    % {
                        "quantity": masks(reservation.quantity, reservation.product),
                        "pharmacy": reservation.pharmacy.name,
                        "expires": clock.format_datetime(reservation.expires_at),
                    },
                )
                return redirect("distribution:my_reservations")
        else:
            status = 400
    stock_here = []
    if chosen is not None:
        stock_here = [(row.product, selectors.available_at(chosen, row.product)) for row in with_quota]
    return render(
        request,
        "distribution/reserve.html",
        {
            "form": form if open_rows else None,
            "chosen": chosen,
            "stock_here": stock_here,
            "quotas": quota_rows,
            "has_quota": bool(with_quota),
            "next_week": quotas.week_start() + timedelta(days=7),
            "max_quantity": MAX_QUANTITY,
        },
        status=status,
    )


@role_required(*PROFESSIONAL)
def my_reservations(request):
    """Professionals: their options (active ones can be cancelled)."""
    professional = _professional(request)
    return render(
        request,
        "distribution/my_reservations.html",
        {"page": _page(request, selectors.reservations_of(professional))},
    )


@require_POST
@role_required(*PROFESSIONAL)
def cancel_reservation(request, reservation_id: int):
    """Professionals: cancel one of their own active options."""
    try:
        reservation = services.cancel_reservation(actor=request.user, reservation_id=reservation_id)
    except (InvalidInput, Conflict) as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request,
            ngettext(
                "Option annulée : %(quantity)s est remis à disposition à %(pharmacy)s.",
                "Option annulée : %(quantity)s sont remis à disposition à %(pharmacy)s.",
                reservation.quantity,
            )
            % {
                "quantity": masks(reservation.quantity, reservation.product),
                "pharmacy": reservation.pharmacy.name,
            },
        )
    return redirect("distribution:my_reservations")


@role_required(*PROFESSIONAL)
def my_history(request):
    """Professionals: what they received (every pharmacy) and their remaining quota this week."""
    professional = _professional(request)
    return render(
        request,
        "distribution/my_history.html",
        {
            "quotas": selectors.quota_overview(professional),
            "page": _page(request, selectors.dispensations_of(professional)),
        },
    )


@require_GET
@role_required(*PROFESSIONAL)
def find_masks(request):
    """Health professionals: pharmacies with stock near their practice or a commune, map and list."""
    professional = _professional(request)
    quota_rows = selectors.reservable_quotas(selectors.quota_overview(professional))
    form = MaskSearchForm(request.GET or None, quota_rows=quota_rows)
    rows, origin = [], None
    product_code, radius_km = form.default_product, DEFAULT_RADIUS_KM
    if quota_rows and (not form.is_bound or form.is_valid()):
        data = form.cleaned_data if form.is_bound else {}
        product_code = data.get("product") or form.default_product
        radius_km = data.get("radius") or DEFAULT_RADIUS_KM
        place = data.get("place")
        if place is not None:
            origin = {"latitude": place.latitude, "longitude": place.longitude, "label": place.name}
        else:
            origin = {
                "latitude": professional.latitude,
                "longitude": professional.longitude,
                "label": _("Votre lieu d'exercice"),
            }
        rows = nearest_pharmacies_with_stock(
            latitude=origin["latitude"],
            longitude=origin["longitude"],
            product_code=product_code,
            radius_km=radius_km,
            limit=MASK_SEARCH_LIMIT,
        )
        for row in rows:
            row["band_label"] = band_label(row["band"], row["sold_out"])
    chosen_quota = next((row for row in quota_rows if row.product.code == product_code), None)
    context = {
        "form": form,
        "rows": rows,
        "origin": origin,
        "has_quota": bool(quota_rows),
        "chosen_quota": chosen_quota,
        # No "Réserver une option" link when nothing is left of the week's quota for the product.
        "may_reserve": chosen_quota is not None and chosen_quota.remaining > 0,
        "next_week": quotas.week_start() + timedelta(days=7),
        "product_code": product_code,
        "radius_km": radius_km,
        "map_points": _map_points(rows),
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }
    status = 200 if origin or not quota_rows else 400
    return render(request, "distribution/find_masks.html", context, status=status)


def _map_points(rows: list[dict]) -> list[dict]:
    """What the map's markers need (the band, never the exact count): same data as the list."""
    return [
        {
            "id": row["pharmacy_id"],
            "name": row["name"],
            "address": f"{row['address']}, {row['commune']}",
            "latitude": row["latitude"],
            "longitude": row["longitude"],
            "distance_km": row["distance_km"],
            "band": row["band"],
            "band_label": row["band_label"],
            "sold_out": row["sold_out"],
            "updated_at": timezone.localtime(row["updated_at"]).strftime("%d/%m/%Y %H:%M"),
        }
        for row in rows
    ]
