"""Demo data of the dashboards: the demo ARS agent may export, and the roll-ups are filled."""

from django.contrib.auth.models import Permission

from accounts.models import Role, User
from dashboards.services import refresh_rollups

DEMO_ARS_EMAIL = "ars@demo.gomask.fr"


def seed() -> None:
    """Idempotent: grant the export permission to the demo ARS agent, recompute every week."""
    permission = Permission.objects.get(content_type__app_label="dashboards", codename="export_dispensations")
    for user in User.objects.filter(email=DEMO_ARS_EMAIL, role=Role.ARS_STAFF):
        user.user_permissions.add(permission)
    refresh_rollups(since=_earliest())


def _earliest():
    from dashboards.services import _earliest_source_moment

    return _earliest_source_moment()
