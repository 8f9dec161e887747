from django.core.management.base import BaseCommand

from specialists.services import rotate_encryption


class Command(BaseCommand):
    help = (
        "Re-encrypt the content of the requests for advice with SPECIALISTS_ENCRYPTION_KEY "
        "(the previous key must be in SPECIALISTS_ENCRYPTION_OLD_KEYS)."
    )

    def handle(self, *args, **options):
        count = rotate_encryption()
        self.stdout.write(self.style.SUCCESS(f"{count} demande(s) chiffrée(s) avec la clé actuelle."))
