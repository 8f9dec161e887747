"""Reading the DREES APL workbook (openpyxl), as the DREES publishes it.

The DREES publishes the APL to general practitioners as an .xlsx workbook: a first sheet
presenting the indicator, then one sheet per year named "APL <year>" ("APL 2022",
"APL 2023"...). Each year's sheet starts with a few rows of title, source and notes, then a
header row whose first cells read "Code commune INSEE" and "Commune", followed by the APL
column "APL aux médecins généralistes" (later columns give variants, such as the APL to
general practitioners under 65, and the population). One row per commune follows.

Layout assumption (documented in README.md): we find the header row by its "Code commune
INSEE" cell (within the first 50 rows) and the value column by the header "APL aux médecins
généralistes" (exactly, else the first header starting with it), so extra notes or columns do
not matter. Values may be numbers or French decimal text ("3,2"); empty or "-"/"nd" cells are
skipped (communes without an APL, counted).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from gomask.errors import InvalidInput

CODE_HEADER = "code commune insee"
APL_HEADER = "apl aux médecins généralistes"
HEADER_SCAN_ROWS = 50
SHEET_YEAR = re.compile(r"(20[0-9]{2})")
INSEE = re.compile(r"^([0-9]{2}|2[AB])[0-9]{3}$")


@dataclass
class DreesSheet:
    sheet: str
    year: int
    rows: list[tuple[str, float]] = field(default_factory=list)
    empty: int = 0


def _text(value) -> str:
    return " ".join(str(value or "").split()).lower()


def _number(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if text in {"", "-", "nd", "n.d.", "s"}:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _code(value) -> str:
    if isinstance(value, int | float):
        return f"{int(value):05d}"
    text = str(value or "").strip().upper()
    # Spreadsheets drop the leading zero of Ain's to Ardèche's codes stored as text, too.
    return text.zfill(5) if len(text) == 4 else text


def read_workbook(path, *, sheet: str | None = None) -> DreesSheet:
    """The (INSEE code, APL) rows of one year's sheet: `sheet`, else the latest "APL <year>"."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the same answer
        raise InvalidInput(
            _("Ce fichier n'est pas un classeur Excel (.xlsx) lisible."), code="drees_file"
        ) from exc
    try:
        names = workbook.sheetnames
        if sheet is None:
            dated = [(int(m.group(1)), name) for name in names if (m := SHEET_YEAR.search(name))]
            if not dated:
                raise InvalidInput(
                    _("Aucune feuille « APL » suivie d'une année (« APL 2023 ») dans ce classeur."),
                    code="drees_no_sheet",
                )
            year, sheet = max(dated)
        elif sheet not in names:
            raise InvalidInput(
                _("Ce classeur n'a pas de feuille « %(sheet)s ».") % {"sheet": sheet}, code="drees_sheet"
            )
        else:
            match = SHEET_YEAR.search(sheet)
            if match is None:
                raise InvalidInput(_("Le nom de la feuille ne donne pas l'année."), code="drees_year")
            year = int(match.group(1))
        return _read_sheet(workbook[sheet], sheet, year)
    finally:
        workbook.close()


def _read_sheet(worksheet, sheet: str, year: int) -> DreesSheet:
    rows = worksheet.iter_rows(values_only=True)
    code_column = apl_column = None
    for _number_of_row, row in zip(range(HEADER_SCAN_ROWS), rows, strict=False):
        headers = [_text(cell) for cell in row]
        if CODE_HEADER in headers:
            code_column = headers.index(CODE_HEADER)
            if APL_HEADER in headers:
                apl_column = headers.index(APL_HEADER)
            else:
                apl_column = next((i for i, h in enumerate(headers) if h.startswith(APL_HEADER)), None)
            break
    if code_column is None or apl_column is None:
        raise InvalidInput(
            _("En-têtes « Code commune INSEE » et « APL aux médecins généralistes » introuvables."),
            code="drees_headers",
        )
    result = DreesSheet(sheet=sheet, year=year)
    for row in rows:
        if len(row) <= max(code_column, apl_column):
            continue
        code = _code(row[code_column])
        if not INSEE.match(code):
            continue  # notes, totals or blank lines under the table
        value = _number(row[apl_column])
        if value is None:
            result.empty += 1
            continue
        result.rows.append((code, value))
    return result
