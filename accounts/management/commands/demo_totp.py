from django.core.management.base import BaseCommand

from accounts.demo import current_demo_totp_code


class Command(BaseCommand):
    help = "Print the current TOTP code of the demo ARS and admin accounts."

    def handle(self, *args, **options):
        self.stdout.write(current_demo_totp_code())
