import random

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import demo as accounts_demo
from consultations import demo as consultations_demo
from crisis import demo as crisis_demo
from dashboards import demo as dashboards_demo
from distribution import demo as distribution_demo
from notifications import demo as notifications_demo
from observatory import demo as observatory_demo
from pharmacies import demo as pharmacies_demo
from planning import demo as planning_demo
from professionals import demo as professionals_demo
from referrals import demo as referrals_demo
from specialists import demo as specialists_demo
from territories.models import Commune


class Command(BaseCommand):
    help = "Build a believable Occitanie (or France with --national) with one demo login per role."

    def add_arguments(self, parser):
        parser.add_argument(
            "--national",
            action="store_true",
            help="All regions at national scale (~20,500 pharmacies, ~300,000 professionals) for benchmarks.",
        )
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the demo logins.")

    def handle(self, *args, national: bool, quiet_logins: bool, **options):
        # The demo administrator's password and TOTP secret are public (README): on a real
        # deployment they would open the whole portal to anyone.
        if settings.PRODUCTION:
            raise CommandError(
                "seed_demo refuses to run in production (GOMASK_ENV=production): its accounts use "
                "the public demo password and TOTP secret. Create real accounts with "
                "`manage.py createsuperuser`."
            )
        regions = None if national else ["76"]
        if not Commune.objects.filter(region_id="76").exists():
            raise CommandError("Territories are not loaded: run `manage.py load_territories` first.")
        rng = random.Random(2020)
        with transaction.atomic():
            pharmacies = pharmacies_demo.seed(regions=regions, rng=rng)
            professionals = professionals_demo.seed(
                regions=regions, rng=rng, per_pharmacy=15 if national else 3
            )
            logins = pharmacies_demo.seed_accounts() + professionals_demo.seed_accounts()
            logins += accounts_demo.seed_staff_accounts()
            pharmacies_demo.seed_stock(regions=regions)
            professionals_demo.seed_referencings()
            distribution_demo.seed()
            consultations_demo.seed()
            logins += notifications_demo.seed()
            crisis_demo.seed()
            observatory_demo.seed()
            logins += referrals_demo.seed()
            logins += specialists_demo.seed()
            # Handovers and low stock at a few officines, then the forecast of every officine.
            planning_demo.seed()
            # Last: the roll-ups aggregate what the other apps seeded.
            dashboards_demo.seed()
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready: {pharmacies} pharmacies, {professionals} professionals.")
        )
        if not quiet_logins:
            self.print_logins(logins)

    def print_logins(self, logins):
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Comptes de démonstration (mot de passe commun) :"))
        for role, email in logins:
            self.stdout.write(f"  {role:<28} {email}")
        self.stdout.write(f"  {'mot de passe':<28} {accounts_demo.DEMO_PASSWORD}")
        self.stdout.write(
            f"  {'code TOTP (ARS, admin)':<28} secret {accounts_demo.DEMO_TOTP_SECRET}; "
            f"code actuel {accounts_demo.current_demo_totp_code()} (nouveau code : make totp)"
        )
        self.stdout.write("")
