"""Issue 10: every page a demo role reaches through menus, links and filters works.

On the data of `seed_demo` (as `make run` shows it), on PostgreSQL; `make smoke` runs the same
crawl on SQLite (scripts/smoke_make_run.py). See tests/crawler.py for what is visited.
"""

import pytest
from django.core.management import call_command

from tests import crawler

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_every_demo_role_reaches_every_page_and_filter_without_error_or_serious_accessibility_violation(
    occitanie, browser, live_server
):
    call_command("seed_demo", "--quiet-logins")

    report = crawler.crawl()
    assert report.visits > 300  # every menu, the links below them and every filter value
    assert {"dashboards:dashboard", "pharmacies:stock", "consultations:patient_home"} <= set(report.patterns)

    pages = crawler.browser_pages(report)
    failures = report.failures + crawler.check_in_browser(browser, live_server.url, pages)
    assert not failures, "\n".join(failures)
