import functools
from html import escape

from django import template
from django.utils import formats, numberformat, timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from dashboards.panels import BAND_LABELS
from dashboards.selectors import COVER_SHOWN_UP_TO_DAYS

register = template.Library()


def formatter_for(column):
    """How a cell of this column reads for French readers, as text: a function of the value.

    Chosen once per column (a table has thousands of cells): the active language's separators
    are read once here, and the numbers formatted as `number_format` formats them."""
    kind = column.kind
    if kind == "band":
        return _unless_none(lambda value: str(BAND_LABELS.get(value, value)))
    if kind == "int":
        return _unless_none(_number_format(0, force_grouping=True))
    if kind == "bool":
        yes, no = _("oui"), _("non")
        return _unless_none(lambda value: yes if value else no)
    if kind == "percent":
        number = _number_format(1)
        return _unless_none(lambda value: f"{number(value)} %")
    if kind == "days":
        # Days of cover repeat down a table: each distinct value is worded once.
        return _unless_none(functools.cache(days_text))
    if kind == "decimal":
        return _unless_none(_number_format(1))
    if kind == "date":
        return _unless_none(lambda value: formats.date_format(value, "SHORT_DATE_FORMAT"))
    if kind == "datetime":
        return _unless_none(
            lambda value: formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
        )
    return _unless_none(lambda value: value)


def _number_format(digits: int, *, force_grouping: bool = False):
    """`formats.number_format(value, digits, use_l10n=True, force_grouping=…)` as a function of
    the value, the language's separators and grouping looked up once rather than for every cell;
    integers grouped by threes are grouped by Python's own formatting, which is faster still."""
    language = get_language()
    decimal, grouping, thousands = (
        formats.get_format(name, language, use_l10n=True)
        for name in ("DECIMAL_SEPARATOR", "NUMBER_GROUPING", "THOUSAND_SEPARATOR")
    )

    def number(value):
        return numberformat.format(
            value, decimal, digits, grouping, thousands, force_grouping=force_grouping, use_l10n=True
        )

    if digits == 0 and force_grouping and grouping == 3:
        return lambda value: f"{value:,}".replace(",", thousands) if isinstance(value, int) else number(value)
    return number


def _unless_none(format_value):
    return lambda value: "—" if value is None else format_value(value)


def cell(row, column):
    """The text of one table cell of a panel (what `panel_body` writes, escaped)."""
    return formatter_for(column)(row.get(column.key))


def _html_of(column):
    """A cell of this column as escaped HTML: its text, a band's in its coloured label.

    The standard library's `escape`, which Django's applies too, without the checks for lazy
    and already-safe values that Django's makes on each of a page's thousands of cells."""
    text = formatter_for(column)
    if column.kind == "band":
        return lambda value: (
            "—" if value is None else f'<span class="stock-band-{escape(value)}">{escape(text(value))}</span>'
        )
    return lambda value: escape(str(text(value)))


@register.simple_tag
def panel_head(panel):
    """The header cells of a panel's table, one per column."""
    return mark_safe("".join(f'<th scope="col">{escape(str(column.label))}</th>' for column in panel.columns))  # noqa: S308


@register.simple_tag
def panel_body(panel, rows):
    """The rows of a panel's table: a header cell for the first column, a data cell (with its
    key) for the others, priority zones marked.

    Built here rather than by template loops: a regional page shows a few thousand cells, and
    the template engine spent more time on them than the database on the figures. Every cell
    reads as `cell` formats it, escaped."""
    if not rows:
        return format_html(
            '<tr><td colspan="{}">{}</td></tr>', len(panel.columns), _("Aucune donnée pour ces filtres.")
        )
    first, *others = panel.columns
    first_html, first_key = _html_of(first), first.key
    cells = [(escape(column.key), _html_of(column), column.key) for column in others]
    lines = []
    for row in rows:
        parts = [f'<th scope="row">{first_html(row.get(first_key))}</th>']
        parts += [
            f'<td data-key="{escaped_key}">{html_of(row.get(key))}</td>'
            for escaped_key, html_of, key in cells
        ]
        opening = '<tr class="priority-zone">' if row.get("priority_zone") else "<tr>"
        lines.append(opening + "".join(parts) + "</tr>")
    return mark_safe("\n".join(lines))  # noqa: S308 (every value escaped above)


@register.simple_tag
def filter_options(items, chosen, with_code=False):
    """The <option>s of a filter's <select>, `chosen` selected: territories or products (a
    `code` and a `name`), labelled "31 — Haute-Garonne" `with_code`. Built here for the same
    reason as `panel_body`: a region has up to 160 EPCIs, a template loop per option."""
    chosen_code = getattr(chosen, "code", None)
    lines = []
    for item in items:
        code = escape(str(item.code))
        label = f"{code} — {escape(item.name)}" if with_code else escape(item.name)
        selected = " selected" if item.code == chosen_code else ""
        lines.append(f'<option value="{code}"{selected}>{label}</option>')
    return mark_safe("".join(lines))  # noqa: S308 (every value escaped above)


def days_text(days: int) -> str:
    """Days of cover as people say them: whole days, "plus de 90 jours" beyond a quarter."""
    if days > COVER_SHOWN_UP_TO_DAYS:
        return _("plus de %(days)d jours") % {"days": COVER_SHOWN_UP_TO_DAYS}
    if days < 1:
        return _("moins d'un jour")
    return ngettext("%(days)d jour", "%(days)d jours", days) % {"days": days}
