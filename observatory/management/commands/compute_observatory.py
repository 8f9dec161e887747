from django.core.management.base import BaseCommand

from observatory.services import compute_access


class Command(BaseCommand):
    help = "Recompute the observatory of access to care (what the nightly task does)."

    def handle(self, *args, **options):
        result = compute_access()
        self.stdout.write(
            f"{result.communes} communes, {result.epcis} EPCI, {result.general_practitioners} "
            f"médecins généralistes dans {result.supply_communes} communes."
        )
