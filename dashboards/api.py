"""Dashboard API: the same panels as the page, as JSON. ARS staff (their region) and administrators."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import ARS, HasRole
from dashboards import panels as panel_registry
from dashboards import selectors
from dashboards.forms import DashboardFilterForm
from gomask.errors import NotFound

FILTER_PARAMETERS = [
    OpenApiParameter("region", str, description="Code INSEE de la région (administrateurs)"),
    OpenApiParameter("departement", str, description="Code du département"),
    OpenApiParameter("epci", str, description="SIREN de l'intercommunalité"),
    OpenApiParameter("start", str, description="Début de la période (AAAA-MM-JJ)"),
    OpenApiParameter("end", str, description="Fin de la période (AAAA-MM-JJ)"),
    OpenApiParameter("product", str, description="Code du produit (surgical, ffp2)"),
]


def _json_value(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


class PanelView(APIView):
    """One dashboard panel: rows with the filters of the page, and how fresh they are.

    Who: ARS staff for their own region (another region: 403), national administrators for
    any region. Bad filters: 400 with a French message.
    """

    permission_classes = [HasRole.of(*ARS)]

    @extend_schema(operation_id="dashboard_panel", parameters=FILTER_PARAMETERS, responses={200: dict})
    def get(self, request, slug):
        panel = panel_registry.PANELS.get(slug)
        if panel is None:
            raise NotFound()
        filters = DashboardFilterForm(request.query_params, user=request.user).get_filters()
        rows = panel_registry.panel_rows(slug, filters)
        freshness = panel_registry.freshness_of(panel, selectors.freshness())
        keys = [column.key for column in panel.columns]
        return Response(
            {
                "panel": slug,
                "title": str(panel.title),
                "filters": filters.as_query(),
                "data_as_of": freshness.isoformat() if freshness else None,
                "live": panel.source == panel_registry.LIVE,
                "columns": [{"key": column.key, "label": str(column.label)} for column in panel.columns],
                "rows": [{key: _json_value(row.get(key)) for key in keys} for row in rows],
            }
        )


class PanelListView(APIView):
    """The panels available. ARS staff and administrators."""

    permission_classes = [HasRole.of(*ARS)]

    @extend_schema(operation_id="dashboard_panels", responses={200: dict})
    def get(self, request):
        return Response(
            [{"panel": slug, "title": str(panel.title)} for slug, panel in panel_registry.PANELS.items()]
        )
