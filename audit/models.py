"""Who changed what and when, on the records that staff and administrators edit by hand.

django-simple-history keeps one historical row per save (the values after the change, the
user of the request, the time, created/changed/deleted). The historical tables all live in
this app, so the apps that own the records keep their own migrations to themselves.
"""

from simple_history import register
from simple_history.models import HistoricalRecords

from accounts.models import User
from consultations.models import PriorityZone, Site
from distribution.models import QuotaPolicy
from pharmacies.models import Pharmacy
from professionals.models import Professional


class ChangeHistory(HistoricalRecords):
    """Skips saves that touch only untracked fields (a login updates `last_login`)."""

    def post_save(self, instance, created, using=None, **kwargs):
        update_fields = kwargs.get("update_fields")
        if not created and update_fields and set(update_fields) <= set(self.excluded_fields):
            return
        super().post_save(instance, created, using=using, **kwargs)


# Password hashes stay out of the history; logins are not changes.
USER_UNTRACKED_FIELDS = ["password", "last_login"]

TRACKED = {
    User: {"excluded_fields": USER_UNTRACKED_FIELDS},
    Pharmacy: {},
    Professional: {},
    PriorityZone: {},
    Site: {},
    QuotaPolicy: {},
}

for _model, _options in TRACKED.items():
    register(_model, app="audit", records_class=ChangeHistory, **_options)
