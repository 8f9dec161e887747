"""Load (or refresh) the territories tables from data/territories.json.gz."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from territories.services import DEFAULT_DATA_FILE, TerritoryDataError, load_territories


class Command(BaseCommand):
    help = (
        "Load regions, départements, EPCIs, communes and postal codes of France. "
        "Idempotent: run it again after updating the data file."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--regions",
            nargs="+",
            metavar="CODE",
            help="Only load the communes of these regions, e.g. --regions 76 or 76,94 "
            "(all regions and départements are always loaded).",
        )
        parser.add_argument("--file", type=Path, default=DEFAULT_DATA_FILE)
        parser.add_argument(
            "--if-changed",
            action="store_true",
            help="Do nothing if this very file was already loaded (for the same regions).",
        )

    def handle(self, *args, regions, file, if_changed, **options):
        if regions:
            regions = [code.strip() for value in regions for code in value.split(",") if code]
        started = time.monotonic()
        try:
            result = load_territories(regions=regions, path=file, if_changed=if_changed)
        except TerritoryDataError as error:
            raise CommandError(str(error)) from error
        if result.skipped:
            self.stdout.write(f"{file} is already loaded: nothing to do.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {result.regions} regions, {result.departements} départements, "
                f"{result.epcis} EPCIs, {result.communes} communes and "
                f"{result.postal_codes} postal codes in {time.monotonic() - started:.1f}s."
            )
        )
