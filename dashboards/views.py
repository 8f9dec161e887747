"""Regional dashboard pages and their CSV exports. Thin: filters -> selectors -> template/CSV."""

import csv
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import Role
from accounts.permissions import ARS, role_required
from dashboards import panels as panel_registry
from dashboards import selectors, services
from dashboards.forms import DashboardFilterForm, ExportForm
from gomask.db_routing import replica_freshness
from gomask.errors import NotAllowed
from pharmacies.models import Product
from territories.models import Departement, Epci, Region

AT_RISK_PAGE_SIZE = 50
ORDER = (
    "stock",
    "bands",
    "pharmacies",
    "flows",
    "professions",
    "quotas",
    "coverage",
    "access",
    "consultations",
)


class Echo:
    """A file-like object whose write returns the line: csv.writer feeding a streaming response."""

    def write(self, value):
        return value


def _filters_or_error(request):
    """(form, filters); filters is None when the form has errors. Another region: 403."""
    form = DashboardFilterForm(request.GET, user=request.user)
    try:
        valid = form.is_valid()
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    return form, (form.filters if valid else None)


def _invalid(request, form):
    context = {"form": form, "filters": None, **_choices(request.user, request.user.region)}
    return render(request, "dashboards/dashboard.html", context, status=400)


def _choices(user, region, *, filters=None):
    """The filter form's choices; with the page's filters, from the reference its panels read."""
    if filters is not None:
        reference = selectors.region_reference(filters)
        departements, epcis, products = reference.departements, reference.epcis, reference.active_products
    else:
        departements = Departement.objects.filter(region=region).order_by("code") if region else []
        epcis = Epci.objects.filter(region=region).order_by("name").only("code", "name") if region else []
        products = Product.objects.filter(is_active=True).order_by("name")
    return {
        "regions": Region.objects.order_by("name") if user.role == Role.ADMIN else [],
        "departements": departements,
        "epcis": epcis,
        "products": products,
    }


@role_required(*ARS)
def dashboard(request):
    """The regional dashboard. ARS staff: their region only; administrators: any region."""
    form, filters = _filters_or_error(request)
    if filters is None:
        return _invalid(request, form)
    context = {"form": form, "filters": filters, **_choices(request.user, filters.region, filters=filters)}
    states = selectors.freshness(filters)
    stock = selectors.pharmacy_stock(filters)
    now = timezone.now()
    query = urlencode(filters.as_query())
    freshness_texts = {}  # one per source: the panels of a source say the same
    sections = []
    for slug in ORDER:
        panel = panel_registry.PANELS[slug]
        rows = panel_registry.panel_rows(slug, filters, stock=stock)
        if panel.source not in freshness_texts:
            freshness_texts[panel.source] = panel_registry.freshness_text(panel, states, now)
        section = {
            "panel": panel,
            "rows": rows,
            "freshness": freshness_texts[panel.source],
            "chart": panel_registry.chart_data(panel, rows),
            "csv_url": f"{reverse('dashboards:panel_csv', args=[slug])}?{query}",
        }
        if slug == "pharmacies":
            page = Paginator(rows, AT_RISK_PAGE_SIZE).get_page(request.GET.get("page"))
            section["page"] = page
            section["rows"] = page.object_list
            context["map_points"] = [
                {
                    "lat": row["latitude"],
                    "lng": row["longitude"],
                    "name": row["name"],
                    "commune": row["commune"],
                    "product": row["product"],
                    "available": row["available"],
                    "band": row["band"],
                    "band_label": str(panel_registry.BAND_LABELS[row["band"]]),
                }
                for row in page.object_list
            ]
        sections.append(section)
    context.update(
        {
            "sections": sections,
            "band_labels": panel_registry.BAND_LABELS,
            "map_tile_url": settings.MAP_TILE_URL,
            "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
            "query": filters.as_query(),
            "replica": replica_freshness(),
        }
    )
    return render(request, "dashboards/dashboard.html", context)


@role_required(*ARS)
def panel_csv(request, slug):
    """CSV of one panel with the page's filters. ARS staff (their region) and administrators."""
    panel = panel_registry.PANELS.get(slug)
    if panel is None:
        raise Http404
    form, filters = _filters_or_error(request)
    if filters is None:
        return _invalid(request, form)
    rows = panel_registry.panel_rows(slug, filters)
    writer = csv.writer(Echo(), delimiter=";")

    def lines():
        yield "\ufeff" + writer.writerow([str(column.label) for column in panel.columns])
        for row in rows:
            yield writer.writerow(
                [panel_registry.cell_text(column, row.get(column.key)) for column in panel.columns]
            )

    filename = f"gomask-{slug}-{filters.region.pk}-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}.csv"
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _may_export(user) -> bool:
    return user.role == Role.ADMIN or user.has_perm("dashboards.export_dispensations")


EXPORT_HEADER = (
    "date_delivrance",
    "rpps",
    "adeli",
    "nom",
    "prenom",
    "profession",
    "finess_officine",
    "officine",
    "produit",
    "quantite",
    "semaine_du",
    "quota_hebdomadaire",
)


@role_required(*ARS)
@require_http_methods(["GET", "POST"])
def export_dispensations(request):
    """Per-professional dispensations of one region and month, for the Assurance Maladie follow-up.

    ARS staff holding the "export_dispensations" permission (their region only) and
    administrators. Every export is logged (who, when, region, period, rows) and streamed.
    """
    if not _may_export(request.user):
        raise PermissionDenied(_("Cet export est réservé aux agents de l'ARS habilités."))
    form = ExportForm(request.POST or None, user=request.user)
    regions = Region.objects.order_by("name") if request.user.role == Role.ADMIN else []
    if request.method == "GET":
        return render(request, "dashboards/export.html", {"form": form, "regions": regions})
    try:
        valid = form.is_valid()
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    if not valid:
        return render(request, "dashboards/export.html", {"form": form, "regions": regions}, status=400)
    start, end = form.period()
    region = form.cleaned_data["region"]
    log = services.start_export(user=request.user, region=region, start=start, end=end)
    rows = selectors.dispensations_for_export(region_code=region.pk, start=start, end=end)
    writer = csv.writer(Echo(), delimiter=";")

    def lines():
        count = 0
        try:
            yield "\ufeff" + writer.writerow(EXPORT_HEADER)
            for row in rows:
                created_at = timezone.localtime(row[0]).isoformat(timespec="seconds")
                yield writer.writerow(
                    (created_at, *(value if value is not None else "" for value in row[1:]))
                )
                count += 1
        finally:
            services.finish_export(log_id=log.pk, row_count=count)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="gomask-delivrances-{region.pk}-{start:%Y-%m}.csv"'
    )
    return response
