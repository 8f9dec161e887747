from django import template
from django.utils import formats, timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
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


@register.simple_tag
def panel_body(panel, rows):
    """The rows of a panel's table: a header cell for the first column, a data cell (with its
    key) for the others, priority zones marked.

    Built here rather than by template loops: a regional page shows a few thousand cells, and
    the template engine spent more time on them than the database on the figures. Every cell
    goes through `cell` and is escaped as the template would."""
    if not rows:
        return format_html(
            '<tr><td colspan="{}">{}</td></tr>', len(panel.columns), _("Aucune donnée pour ces filtres.")
        )
    first, *others = panel.columns
    keys = [conditional_escape(column.key) for column in others]
    lines = []
    for row in rows:
        cells = [f'<th scope="row">{conditional_escape(cell(row, first))}</th>']
        cells += [
            f'<td data-key="{key}">{conditional_escape(cell(row, column))}</td>'
            for key, column in zip(keys, others, strict=True)
        ]
        opening = '<tr class="priority-zone">' if row.get("priority_zone") else "<tr>"
        lines.append(opening + "".join(cells) + "</tr>")
    return mark_safe("\n".join(lines))  # noqa: S308 (every value escaped above)


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
