"""The panels of the regional dashboard: title, columns, rows and chart, in one place.

The HTML table (the source of truth, rendered server-side), the chart (drawn from the same
rows by static/js/dashboards/charts.js), the CSV export and the API all read a panel from
here, so they cannot disagree.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import formats, timezone
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from dashboards import selectors
from dashboards.services import CENSUS, WEEKLY

LIVE = "live"

BAND_LABELS = {
    "high": _("100 masques et plus"),
    "medium": _("30 à 99"),
    "low": _("1 à 29"),
    "none": _("Rupture"),
}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "int"  # int, decimal, percent, days, text, band, bool, date, datetime


@dataclass(frozen=True)
class Panel:
    slug: str
    title: str
    columns: tuple[Column, ...]
    source: str  # WEEKLY, CENSUS or LIVE: how fresh the figures are
    note: str = ""
    chart: str | None = None  # bar, stacked, line
    chart_label: str = ""
    chart_series: tuple[str, ...] = field(default_factory=tuple)
    # A key whose values become the datasets (one per product), the labels then appearing once.
    chart_group: str | None = None


PANELS: dict[str, Panel] = {
    panel.slug: panel
    for panel in [
        Panel(
            "stock",
            _("Stock par département et jours de stock restants"),
            (
                Column("departement", _("Code"), "text"),
                Column("departement_name", _("Département"), "text"),
                Column("product", _("Produit"), "text"),
                Column("on_hand", _("En stock")),
                Column("available", _("Disponible (hors options)")),
                Column("daily_rate", _("Délivrances par jour"), "decimal"),
                Column("days_left", _("Jours de stock restants"), "days"),
            ),
            LIVE,
            note=_(
                "Stock en temps réel ; rythme de délivrance des deux dernières semaines complètes "
                "(indépendant de la période choisie)."
            ),
            chart="bar",
            chart_label="departement_name",
            chart_series=("on_hand",),
            chart_group="product",
        ),
        Panel(
            "bands",
            _("Officines par niveau de stock"),
            (Column("band", _("Niveau de stock"), "band"), Column("count", _("Officines × produits"))),
            LIVE,
        ),
        Panel(
            "pharmacies",
            _("Officines en rupture ou bientôt en rupture"),
            (
                Column("name", _("Officine"), "text"),
                Column("finess", _("FINESS"), "text"),
                Column("commune", _("Commune"), "text"),
                Column("product", _("Produit"), "text"),
                Column("available", _("Disponible")),
                Column("band", _("Niveau"), "band"),
                Column("daily_rate", _("Délivrances par jour"), "decimal"),
                Column("days_left", _("Jours restants"), "days"),
                Column("updated_at", _("Mis à jour le"), "datetime"),
            ),
            LIVE,
            note=_("Rupture, moins de 30 masques, ou moins de 7 jours de stock à son rythme de délivrance."),
        ),
        Panel(
            "flows",
            _("Arrivées et délivrances par semaine"),
            (
                Column("week_start", _("Semaine du"), "date"),
                Column("national", _("Officines : stock national")),
                Column("regional", _("Officines : stock régional")),
                Column("donation", _("Officines : dons")),
                Column("covid_centre", _("Centres de consultation COVID")),
                Column("lab", _("Laboratoires (URPS biologistes)")),
                Column("arrivals", _("Total des arrivées")),
                Column("dispensed", _("Délivrances en officine")),
            ),
            WEEKLY,
            note=_(
                "Centres et laboratoires : envois du stock régional de l'ARS (en temps réel). "
                "Officines : arrivées du registre de stock par provenance."
            ),
            chart="stacked",
            chart_label="week_start",
            chart_series=("national", "regional", "donation", "covid_centre", "lab", "dispensed"),
        ),
        Panel(
            "professions",
            _("Délivrances par profession"),
            (
                Column("profession_label", _("Profession"), "text"),
                Column("quantity", _("Masques délivrés")),
                Column("dispensations", _("Délivrances")),
                Column("share", _("Part des masques"), "percent"),
            ),
            WEEKLY,
            chart="bar",
            chart_label="profession_label",
            chart_series=("quantity",),
        ),
        Panel(
            "quotas",
            _("Utilisation des quotas"),
            (
                Column("profession_label", _("Profession"), "text"),
                Column("professionals", _("Professionnels servis")),
                Column("professional_weeks", _("Semaines servies")),
                Column("received", _("Masques reçus")),
                Column("quota_total", _("Quotas de ces semaines")),
                Column("use_rate", _("Quota utilisé"), "percent"),
                Column("quota_used_up", _("Semaines au quota plein")),
            ),
            WEEKLY,
            note=_(
                "Professionnels comptés à leur lieu d'exercice, quelle que soit l'officine qui les a servis."
            ),
            chart="bar",
            chart_label="profession_label",
            chart_series=("use_rate",),
        ),
        Panel(
            "coverage",
            _("Couverture : professionnels référencés et servis par EPCI"),
            (
                Column("epci_name", _("Intercommunalité"), "text"),
                Column("known", _("Professionnels installés")),
                Column("referenced", _("Référencés en officine")),
                Column("served", _("Servis sur la période")),
                Column("coverage", _("Servis / référencés"), "percent"),
            ),
            CENSUS,
            chart="bar",
            chart_label="epci_name",
            chart_series=("referenced", "served"),
        ),
        Panel(
            "access",
            _("Accès aux soins : professionnels pour 10 000 habitants par EPCI"),
            (
                Column("epci_name", _("Intercommunalité"), "text"),
                Column("priority_zone", _("Zone prioritaire"), "bool"),
                Column("population", _("Population")),
                Column("professionals", _("Professionnels")),
                Column("per_10000", _("Pour 10 000 hab."), "decimal"),
                Column("doctors", _("Médecins")),
                Column("doctors_per_10000", _("Médecins pour 10 000 hab."), "decimal"),
            ),
            CENSUS,
            note=_("Populations légales du référentiel des territoires ; zones prioritaires en gras."),
            chart="bar",
            chart_label="epci_name",
            chart_series=("per_10000",),
        ),
        Panel(
            "consultations",
            _("Consultations solidaires par zone prioritaire"),
            (
                Column("zone", _("Zone prioritaire"), "text"),
                Column("offered", _("Créneaux proposés")),
                Column("booked", _("Réservés")),
                Column("attended", _("Honorés")),
                Column("no_show", _("Absences")),
                Column("without_doctor_share", _("Patients sans médecin traitant"), "percent"),
                Column("new_doctor", _("Nouveau médecin traitant")),
            ),
            LIVE,
            chart="bar",
            chart_label="zone",
            chart_series=("offered", "booked", "attended", "no_show"),
        ),
    ]
}


def panel_rows(slug: str, filters, *, stock: "selectors.PharmacyStock | None" = None) -> list[dict]:
    """The rows of one panel for the filters (stock: pharmacy_stock already computed)."""
    if slug in ("bands", "pharmacies"):
        stock = stock if stock is not None else selectors.pharmacy_stock(filters)
        if slug == "bands":
            return selectors.band_counts(stock)
        return selectors.at_risk_pharmacies(stock)
    return {
        "stock": selectors.stock_by_departement,
        "flows": selectors.weekly_flows,
        "professions": selectors.dispensations_by_profession,
        "quotas": selectors.quota_use,
        "coverage": selectors.coverage_by_epci,
        "access": selectors.access_to_care,
        "consultations": selectors.consultations_by_zone,
    }[slug](filters)


def cell_text(column: Column, value) -> str:
    """A cell as text for CSV (machine-friendly: ISO dates, dot decimals, codes for bands)."""
    if value is None:
        return ""
    if column.kind == "bool":
        return "oui" if value else "non"
    if column.kind in ("date", "datetime"):
        return value.isoformat()
    return str(value)


def chart_data(panel: Panel, rows: list[dict]) -> dict | None:
    """What charts.js draws: labels and one dataset per series, taken from the table rows."""
    if not panel.chart:
        return None
    labels_by_key = {column.key: str(column.label) for column in panel.columns}

    def label(value):
        if isinstance(value, date):
            return formats.date_format(value, "SHORT_DATE_FORMAT")
        return str(value)

    if panel.chart_group:
        return _grouped_chart_data(panel, rows, label)
    return {
        "type": panel.chart,
        "labels": [label(row[panel.chart_label]) for row in rows],
        "datasets": [
            {
                "key": key,
                "label": labels_by_key[key],
                "data": [row.get(key) for row in rows],
                # In the flows chart, dispensations are a line over the stacked arrivals.
                "line": panel.slug == "flows" and key == "dispensed",
            }
            for key in panel.chart_series
        ],
    }


def _grouped_chart_data(panel: Panel, rows: list[dict], label) -> dict:
    """One label per value of chart_label (in row order), one dataset per value of chart_group:
    the stock of each product side by side for each département."""
    labels = list(dict.fromkeys(label(row[panel.chart_label]) for row in rows))
    groups = list(dict.fromkeys(str(row[panel.chart_group]) for row in rows))
    (series,) = panel.chart_series
    values = {(label(row[panel.chart_label]), str(row[panel.chart_group])): row.get(series) for row in rows}
    return {
        "type": panel.chart,
        "labels": labels,
        "datasets": [
            {
                "key": group,
                "label": group,
                "data": [values.get((name, group), 0) for name in labels],
                "line": False,
            }
            for group in groups
        ],
    }


def freshness_of(panel: Panel, states: dict):
    """None for live panels (the page says "en temps réel"), else the roll-up's refresh time."""
    return None if panel.source == LIVE else states.get(panel.source)


def freshness_text(panel: Panel, states: dict, now: datetime) -> str:
    """The line under a panel's title: when its roll-up was last refreshed, or that its figures
    are live (read at `now`), or that the first refresh has not run yet."""
    moment_format = pgettext("date format", "d/m/Y à H:i")
    refreshed = freshness_of(panel, states)
    if refreshed:
        moment = formats.date_format(timezone.localtime(refreshed), moment_format)
        return gettext("Données arrêtées au %(moment)s") % {"moment": moment}
    if panel.source == LIVE:
        moment = formats.date_format(timezone.localtime(now), moment_format)
        return gettext("Données en temps réel (au %(moment)s)") % {"moment": moment}
    return gettext("Données pas encore agrégées : le premier calcul est en cours.")
