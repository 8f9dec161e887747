from django import template
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from dashboards.panels import BAND_LABELS

register = template.Library()


@register.simple_tag
def cell(row, column):
    """One table cell of a panel, formatted for French readers."""
    value = row.get(column.key)
    if column.kind == "band":
        return format_html('<span class="stock-band-{}">{}</span>', value, BAND_LABELS.get(value, value))
    if value is None:
        return "—"
    if column.kind == "bool":
        return _("oui") if value else _("non")
    if column.kind == "percent":
        return f"{formats.number_format(value, 1, use_l10n=True)} %"
    if column.kind == "decimal":
        return formats.number_format(value, 1, use_l10n=True)
    if column.kind == "int":
        return formats.number_format(value, 0, use_l10n=True, force_grouping=True)
    if column.kind == "date":
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if column.kind == "datetime":
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    return value


@register.filter
def urlencode_query(query: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(query)
