"""The periodic jobs of CELERY_BEAT_SCHEDULE run in one process, without a broker (`make run`).

With Redis, `celery beat` queues the jobs and a worker runs them. `make run` has neither, so
`manage.py run_scheduled_jobs` reads the same schedule and calls each task in-process when it is
due: the same services (expiries, reminders, roll-ups, outbox relay), with no second list of
jobs to keep in step. Interval jobs run once at start, then every interval; crontab jobs at
their times (Europe/Paris, CELERY_TIMEZONE).
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery.schedules import crontab, schedule
from django.conf import settings
from django.utils.module_loading import import_string

from gomask.celery import app

logger = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    task_path: str
    timing: schedule
    last_run_at: datetime | None = None
    runs: int = field(default=0)

    def is_due(self, now: datetime) -> bool:
        if self.last_run_at is None:
            # Interval jobs catch up at start (options may have expired while nothing ran);
            # a crontab job waits for its time.
            if isinstance(self.timing, crontab):
                self.last_run_at = now
                return False
            return True
        due, _next = self.timing.is_due(self.last_run_at)
        return due


def beat_jobs(beat_schedule: dict | None = None) -> list[Job]:
    """One Job per entry of the beat schedule (settings.CELERY_BEAT_SCHEDULE by default)."""
    beat_schedule = settings.CELERY_BEAT_SCHEDULE if beat_schedule is None else beat_schedule
    jobs = []
    for name, entry in sorted(beat_schedule.items()):
        timing = entry["schedule"]
        if isinstance(timing, timedelta | int | float):
            timing = schedule(run_every=timing, app=app)
        else:
            timing.app = app
        jobs.append(Job(name=name, task_path=entry["task"], timing=timing))
    return jobs


def run_due_jobs(jobs: list[Job], *, now: datetime | None = None) -> list[str]:
    """Run, in this process, every job that is due; returns their names. A failing job is logged
    and tried again at its next time; it never stops the others."""
    now = now or app.now()
    ran = []
    for job in jobs:
        if not job.is_due(now):
            continue
        job.last_run_at = now
        job.runs += 1
        try:
            import_string(job.task_path).apply(throw=True)
        except Exception:
            logger.exception("Scheduled job %s failed", job.name)
        ran.append(job.name)
    return ran
