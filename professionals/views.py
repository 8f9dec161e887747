from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.permissions import PROFESSIONAL, role_required
from distribution.quotas import week_start
from distribution.selectors import quota_overview, reservable_quotas
from gomask.errors import DomainError, InvalidInput
from pharmacies.selectors import band_label, nearest_pharmacies, nearest_pharmacies_with_stock
from professionals import forms, selectors, services

SEARCH_LIMIT = 30
REFERENCING_CHOICES = 15


def _professional(request):
    professional = selectors.professional_of(request.user)
    if professional is None:
        raise PermissionDenied(_("Votre compte n'est lié à aucun professionnel de santé."))
    return professional


@role_required(*PROFESSIONAL)
def home(request):
    """Health professionals: their identity as the portal knows it and their home pharmacy."""
    professional = _professional(request)
    return render(
        request,
        "professionals/home.html",
        {"professional": professional, "referencing": selectors.current_referencing(professional)},
    )


@role_required(*PROFESSIONAL)
def reference(request):
    """Health professionals: choose (or change) their home pharmacy among those near their practice."""
    professional = _professional(request)
    status = 200
    if request.method == "POST":
        form = forms.ReferencingForm(request.POST)
        try:
            if not form.is_valid():
                raise InvalidInput(_("Choisissez une officine dans la liste."), code="invalid")
            referencing = services.reference_at_pharmacy(
                actor=request.user, pharmacy_id=form.cleaned_data["pharmacy"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(
                request,
                _(
                    "%(pharmacy)s est désormais votre officine de référence : "
                    "elle vous appellera à l'arrivée des masques."
                )
                % {"pharmacy": referencing.pharmacy.name},
            )
            return redirect("professionals:home")
    choices = nearest_pharmacies(
        latitude=professional.latitude,
        longitude=professional.longitude,
        radius_km=services.REFERENCING_MAX_KM,
        limit=REFERENCING_CHOICES,
    )
    context = {
        "professional": professional,
        "referencing": selectors.current_referencing(professional),
        "choices": choices,
        "max_km": services.REFERENCING_MAX_KM,
    }
    return render(request, "professionals/reference.html", context, status=status)


@require_GET
@role_required(*PROFESSIONAL)
def find_masks(request):
    """Health professionals: pharmacies with stock near their practice or a commune, map and list."""
    professional = _professional(request)
    quota_rows = reservable_quotas(quota_overview(professional))
    form = forms.MaskSearchForm(request.GET or None, quota_rows=quota_rows)
    rows, origin = [], None
    product_code, radius_km = form.default_product, forms.DEFAULT_RADIUS_KM
    if quota_rows and (not form.is_bound or form.is_valid()):
        data = form.cleaned_data if form.is_bound else {}
        product_code = data.get("product") or form.default_product
        radius_km = data.get("radius") or forms.DEFAULT_RADIUS_KM
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
            limit=SEARCH_LIMIT,
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
        "next_week": week_start() + timedelta(days=7),
        "product_code": product_code,
        "radius_km": radius_km,
        "map_points": _map_points(rows),
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }
    status = 200 if origin or not quota_rows else 400
    return render(request, "professionals/find_masks.html", context, status=status)


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
