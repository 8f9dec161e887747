"""Create, update and suspend professionals from the RPPS extraction (PS_LibreAcces)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gomask.directory_command import write_report
from gomask.directory_files import DirectoryFileError
from professionals.directory_import import import_rpps


class Command(BaseCommand):
    help = (
        "Create or update the health professionals of a PS_LibreAcces_Personne_activite file "
        "('|'-separated, encoding detected); suspend those an earlier import listed and this "
        "file no longer does. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The PS_LibreAcces_Personne_activite_*.txt file.")
        parser.add_argument(
            "--keep-absent",
            action="store_true",
            help="Do not suspend the professionals missing from the file (for a partial extraction).",
        )

    def handle(self, *args, path, keep_absent, **options):
        try:
            report = import_rpps(path, suspend_absent=not keep_absent)
        except DirectoryFileError as error:
            raise CommandError(str(error)) from error
        write_report(self, report, what=_("Professionnels de l'annuaire RPPS"))
