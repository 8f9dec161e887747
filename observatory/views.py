"""The observatory page and its CSV export. Thin: filters -> selectors -> template/CSV.

Who: ARS staff (their region), administrators (any region), CPTS coordinators (their CPTS
territory in their region, read-only like everyone: the page writes nothing)."""

import csv

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import Role
from accounts.permissions import role_required
from observatory import selectors
from observatory.accessibility import BANDS, PER_INHABITANTS
from observatory.forms import ObservatoryFilterForm
from observatory.services import GENERAL_PRACTICE_CODES
from territories.models import Region

READERS = (Role.ARS_STAFF, Role.ADMIN, Role.CPTS_COORDINATOR)
PAGE_SIZE = 50


class Echo:
    def write(self, value):
        return value


def _form(request):
    form = ObservatoryFilterForm(request.GET, user=request.user)
    form.is_valid()
    return form, form.filters


def _base_context(request, form, filters):
    region = filters.territory.region if filters else request.user.region
    return {
        "form": form,
        "filters": filters,
        "regions": Region.objects.order_by("name") if request.user.role == Role.ADMIN else [],
        "departements": selectors.departements(region) if region else [],
        "levels": selectors.LEVELS,
        "professions": selectors.PROFESSIONS,
        "indicators": selectors.INDICATORS,
    }


@role_required(*READERS)
def observatory(request):
    """Per commune or EPCI: densities, distance to a GP, 2SFCA, DREES APL, priority zones."""
    form, filters = _form(request)
    if filters is None:
        return render(request, "observatory/observatory.html", _base_context(request, form, None), status=400)
    # The rows and the legend come from the cache (one computation per run and filters); the
    # map's points are fetched by the page's script from observatory:map (cached JSON).
    rows, legend = selectors.classified_rows(filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = _base_context(request, form, filters)
    context.update(
        {
            "page": page,
            "row_count": len(rows),
            "legend": legend,
            "map_url": reverse("observatory:map") + "?" + filters.as_query(),
            "indicator_label": selectors.INDICATORS[filters.indicator],
            "profession_label": selectors.PROFESSIONS[filters.profession],
            "run": selectors.latest_run(),
            "drees": selectors.latest_drees_import(),
            "zones": selectors.solidarity_zones(request.user, filters.territory),
            "bands": [(limit, round(weight, 2)) for limit, weight in BANDS],
            "per_inhabitants": PER_INHABITANTS,
            "gp_codes": ", ".join(GENERAL_PRACTICE_CODES),
            "query": filters.as_query(),
            "map_tile_url": settings.MAP_TILE_URL,
            "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        }
    )
    return render(request, "observatory/observatory.html", context)


@require_GET
@role_required(*READERS)
def observatory_map(request):
    """The map's points for the page's filters: compact JSON, cached per computation run."""
    form, filters = _form(request)
    if filters is None:
        return JsonResponse(
            {"code": "invalid", "message": _("Les filtres ne sont pas valides."), "fields": form.errors},
            status=400,
        )
    response = HttpResponse(selectors.map_json(filters), content_type="application/json")
    response["Cache-Control"] = "private, max-age=300"
    return response


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    return str(value)


@role_required(*READERS)
def observatory_csv(request):
    """Every row of the page's filters (not only the page shown), one column per profession."""
    form, filters = _form(request)
    if filters is None:
        return render(request, "observatory/observatory.html", _base_context(request, form, None), status=400)
    rows = selectors.area_rows(filters, every_profession=True)
    drees = selectors.latest_drees_import()
    header = [
        _("code"),
        _("nom"),
        _("population"),
        _("médecins généralistes"),
        *[
            _("%(profession)s pour 10 000 hab.") % {"profession": label}
            for label in selectors.PROFESSIONS.values()
        ],
        _("distance au généraliste le plus proche (km)"),
        _("accessibilité 2SFCA (généralistes pour 100 000 hab.)"),
        _("APL DREES %(year)s") % {"year": drees.year} if drees else _("APL DREES"),
        _("zone prioritaire"),
    ]
    writer = csv.writer(Echo(), delimiter=";")

    def lines():
        yield "\ufeff" + writer.writerow(header)
        for row in rows:
            yield writer.writerow(
                [
                    _cell(value)
                    for value in (
                        row["code"],
                        row["name"],
                        row["population"],
                        row["general_practitioners"],
                        *[row["densities"][profession] for profession in selectors.PROFESSIONS],
                        row["nearest_gp_km"],
                        row["accessibility"],
                        row["drees_apl"],
                        row["priority"],
                    )
                ]
            )

    region = filters.territory.region.pk
    filename = f"gomask-observatoire-{region}-{filters.level}.csv"
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
