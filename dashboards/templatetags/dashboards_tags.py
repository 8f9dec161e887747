from django import template
from django.utils import formats, timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dashboards.panels import BAND_LABELS
from dashboards.selectors import COVER_SHOWN_UP_TO_DAYS

register = template.Library()


def formatter_for(column):
    """How a cell of this column reads for French readers: a function of the value.

    Chosen once per column (a table has thousands of cells): integers are grouped with the
    active language's separator, read once here, as `number_format` would group them."""
    kind = column.kind
    if kind == "band":
        return lambda value: format_html(
            '<span class="stock-band-{}">{}</span>', value, BAND_LABELS.get(value, value)
        )
    if kind == "int":
        separator = formats.get_format("THOUSAND_SEPARATOR")
        if formats.get_format("NUMBER_GROUPING") == 3:

            def grouped(value):
                return f"{value:,}".replace(",", separator) if isinstance(value, int) else _number(value, 0)

            return _unless_none(grouped)
        return _unless_none(lambda value: _number(value, 0))
    if kind == "bool":
        return _unless_none(lambda value: _("oui") if value else _("non"))
    if kind == "percent":
        return _unless_none(lambda value: f"{formats.number_format(value, 1, use_l10n=True)} %")
    if kind == "days":
        return _unless_none(days_text)
    if kind == "decimal":
        return _unless_none(lambda value: formats.number_format(value, 1, use_l10n=True))
    if kind == "date":
        return _unless_none(lambda value: formats.date_format(value, "SHORT_DATE_FORMAT"))
    if kind == "datetime":
        return _unless_none(
            lambda value: formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
        )
    return _unless_none(lambda value: value)


def _number(value, digits: int) -> str:
    return formats.number_format(value, digits, use_l10n=True, force_grouping=True)


def _unless_none(format_value):
    return lambda value: "—" if value is None else format_value(value)


def cell(row, column):
    """One table cell of a panel, formatted for French readers (what `panel_body` writes)."""
    return formatter_for(column)(row.get(column.key))


@register.simple_tag
def panel_body(panel, rows):
    """The rows of a panel's table: a header cell for the first column, a data cell (with its
    key) for the others, priority zones marked.

    Built here rather than by template loops: a regional page shows a few thousand cells, and
    the template engine spent more time on them than the database on the figures. Every cell
    is formatted as `cell` formats it and escaped as the template would."""
    if not rows:
        return format_html(
            '<tr><td colspan="{}">{}</td></tr>', len(panel.columns), _("Aucune donnée pour ces filtres.")
        )
    first, *others = panel.columns
    first_text = formatter_for(first)
    cells = [(conditional_escape(column.key), formatter_for(column), column.key) for column in others]
    lines = []
    for row in rows:
        parts = [f'<th scope="row">{conditional_escape(first_text(row.get(first.key)))}</th>']
        parts += [
            f'<td data-key="{escaped_key}">{conditional_escape(text(row.get(key)))}</td>'
            for escaped_key, text, key in cells
        ]
        opening = '<tr class="priority-zone">' if row.get("priority_zone") else "<tr>"
        lines.append(opening + "".join(parts) + "</tr>")
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
