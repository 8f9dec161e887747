"""Import of the DREES APL workbook, on a small sample written here in the published layout: an
introduction sheet, then one sheet per year ("APL 2022", "APL 2023") with title and note rows above
the header "Code commune INSEE | Commune | APL aux médecins généralistes | ..."."""

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from gomask.errors import InvalidInput
from observatory.drees import read_workbook
from observatory.models import DreesApl, DreesImport
from observatory.services import import_drees_apl
from tests.observatory.conftest import AUCH, RISCLE, TOULOUSE

pytestmark = pytest.mark.django_db

HEADER = [
    "Code commune INSEE",
    "Commune",
    "APL aux médecins généralistes de moins de 65 ans",
    "APL aux médecins généralistes",
    "Population standardisée par la consommation de soins par âge",
]


def write_sample(path, *, rows_2023=None):
    workbook = Workbook()
    intro = workbook.active
    intro.title = "Présentation"
    intro.append(["Accessibilité potentielle localisée (APL) aux médecins généralistes"])
    for year, rows in (
        ("2022", [(RISCLE, "Riscle", 2.9, 3.0, 1700)]),
        (
            "2023",
            rows_2023
            or [
                (RISCLE, "Riscle", 3.0, 3.2, 1700),
                (AUCH, "Auch", "4,0", "4,1", 22000),  # French decimal text
                (TOULOUSE, "Toulouse", 3.8, 3.9, 500000),
                ("32001", "Aignan", None, None, 700),  # no APL published
                ("99999", "Commune disparue", 1.0, 1.0, 10),  # unknown to the territories
            ],
        ),
    ):
        sheet = workbook.create_sheet(f"APL {year}")
        sheet.append([f"APL aux médecins généralistes en {year}"])
        sheet.append(["Source : SNIIR-AM, EGB, CNAM ; populations par âge INSEE ; traitements DREES"])
        sheet.append([])
        sheet.append(["Champ : France entière, hors Mayotte"])
        sheet.append(HEADER)
        for row in rows:
            sheet.append(list(row))
        sheet.append([])
        sheet.append(
            ["Note : l'APL est exprimée en consultations/visites accessibles par habitant et par an"]
        )
    workbook.save(path)
    return path


def test_the_reader_takes_the_latest_year_and_the_exact_apl_column(tmp_path):
    data = read_workbook(write_sample(tmp_path / "apl.xlsx"))
    assert (data.sheet, data.year, data.empty) == ("APL 2023", 2023, 1)
    assert data.rows == [(RISCLE, 3.2), (AUCH, 4.1), (TOULOUSE, 3.9), ("99999", 1.0)]
    older = read_workbook(tmp_path / "apl.xlsx", sheet="APL 2022")
    assert (older.year, older.rows) == (2022, [(RISCLE, 3.0)])


def test_the_command_imports_known_communes_and_lists_the_others(tmp_path, occitanie, capsys):
    call_command("import_drees_apl", str(write_sample(tmp_path / "apl.xlsx")), "--by", "ARS Occitanie")
    assert dict(DreesApl.objects.filter(year=2023).values_list("commune_id", "value")) == {
        RISCLE: 3.2,
        AUCH: 4.1,
        TOULOUSE: 3.9,
    }
    source = DreesImport.objects.get()
    assert (source.year, source.rows, source.skipped, source.sheet) == (2023, 3, 1, "APL 2023")
    assert "99999" in capsys.readouterr().out


def test_a_second_import_of_the_same_year_replaces_its_values(tmp_path, occitanie):
    call_command("import_drees_apl", str(write_sample(tmp_path / "a.xlsx")))
    call_command(
        "import_drees_apl", str(write_sample(tmp_path / "b.xlsx", rows_2023=[(RISCLE, "Riscle", 1, 2.5, 1)]))
    )
    assert list(DreesApl.objects.values_list("commune_id", "value")) == [(RISCLE, 2.5)]


def test_a_file_that_is_not_a_workbook_is_refused_in_french(tmp_path, occitanie):
    path = tmp_path / "apl.xlsx"
    path.write_text("code;apl\n32344;3\n")
    with pytest.raises(CommandError, match="classeur Excel"):
        call_command("import_drees_apl", str(path))
    assert not DreesImport.objects.exists()


def test_a_workbook_without_the_headers_is_refused(tmp_path, occitanie):
    workbook = Workbook()
    workbook.active.title = "APL 2023"
    workbook.active.append(["INSEE", "APL"])
    workbook.save(tmp_path / "apl.xlsx")
    with pytest.raises(CommandError, match="Code commune INSEE"):
        call_command("import_drees_apl", str(tmp_path / "apl.xlsx"))


def test_a_negative_value_writes_nothing(occitanie):
    with pytest.raises(InvalidInput):
        import_drees_apl(rows=[(RISCLE, 3.0), (AUCH, -1.0)], year=2023, file_name="x.xlsx", sheet="APL 2023")
    assert not DreesApl.objects.exists() and not DreesImport.objects.exists()
