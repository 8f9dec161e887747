"""Create or update the care sites (maisons et centres de santé, laboratories, hospitals) from
the FINESS extraction (etalab-cs1100507-stock-*.csv)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gomask.directory_command import write_report
from gomask.directory_files import DirectoryFileError
from referrals.directory_import import import_care_sites


class Command(BaseCommand):
    help = (
        "Create or update the care sites of a FINESS extraction file (categories 603, 124, 611, "
        "101, 106, 355; etalab-cs1100507-stock-*.csv, ';'-separated, Latin-1 or UTF-8). Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The FINESS extraction file.")

    def handle(self, *args, path, **options):
        try:
            report = import_care_sites(path)
        except DirectoryFileError as error:
            raise CommandError(str(error)) from error
        write_report(self, report, what=_("Sites de soins de l'extraction FINESS"))
