from django import template
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dashboards.panels import BAND_LABELS
from dashboards.selectors import COVER_SHOWN_UP_TO_DAYS

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
    if column.kind == "days":
        return days_text(value)
    if column.kind == "decimal":
        return formats.number_format(value, 1, use_l10n=True)
    if column.kind == "int":
        return formats.number_format(value, 0, use_l10n=True, force_grouping=True)
    if column.kind == "date":
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if column.kind == "datetime":
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    return value


def days_text(days: int) -> str:
    """Days of cover as people say them: whole days, "plus de 90 jours" beyond a quarter."""
    if days > COVER_SHOWN_UP_TO_DAYS:
        return _("plus de %(days)d jours") % {"days": COVER_SHOWN_UP_TO_DAYS}
    if days < 1:
        return _("moins d'un jour")
    return ngettext("%(days)d jour", "%(days)d jours", days) % {"days": days}


@register.filter
def urlencode_query(query: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(query)
