import time

from django.core.management.base import BaseCommand

from distribution.scheduler import beat_jobs, run_due_jobs


class Command(BaseCommand):
    help = (
        "Run the periodic jobs of the Celery beat schedule in this process, without Redis "
        "(make run): option expiries, reminders, dashboard roll-ups, outbox relay."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run every interval job once, then stop.")
        parser.add_argument(
            "--tick", type=float, default=5.0, help="Seconds between two looks at the schedule."
        )

    def handle(self, *args, once=False, tick=5.0, **options):
        jobs = beat_jobs()
        names = ", ".join(job.name for job in jobs)
        self.stdout.write(f"Scheduled jobs running in-process: {names}")
        while True:
            for name in run_due_jobs(jobs):
                if options["verbosity"] > 1:
                    self.stdout.write(f"ran {name}")
            if once:
                return
            time.sleep(max(tick, 0.5))
