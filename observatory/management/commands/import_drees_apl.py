from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gomask.errors import DomainError
from observatory.drees import read_workbook
from observatory.services import import_drees_apl


class Command(BaseCommand):
    help = (
        "Import the DREES APL to general practitioners (the .xlsx workbook the DREES publishes): "
        "the latest 'APL <year>' sheet, or --sheet. Replaces that year's values."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the DREES workbook (.xlsx)")
        parser.add_argument("--sheet", help="the sheet to read, e.g. 'APL 2023' (default: the latest year)")
        parser.add_argument("--by", default="", help="who provided the file (kept with the import)")

    def handle(self, *args, path, sheet=None, by="", **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"Fichier introuvable : {path}")
        try:
            data = read_workbook(file, sheet=sheet)
            result = import_drees_apl(
                rows=data.rows, year=data.year, file_name=file.name, sheet=data.sheet, imported_by=by
            )
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(
            f"APL {result.year} ({data.sheet}) : {result.imported} communes importées, "
            f"{result.skipped} codes inconnus ignorés, {data.empty} communes sans valeur."
        )
        if result.unknown_communes:
            self.stdout.write("Codes inconnus : " + ", ".join(result.unknown_communes[:20]))
