"""The "Historique" button on the change page of every tracked record (who, when, what).

The tracked models keep the admin their app registered; it is re-registered here with
django-simple-history's history view mixed in (this module runs after the apps' own admin
modules: `audit` comes after them in INSTALLED_APPS).
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from audit.models import TRACKED


def with_history(model_admin_class):
    return type(
        f"Historical{model_admin_class.__name__}",
        (SimpleHistoryAdmin, model_admin_class),
        # Our own list: the package's one carries an inline style (Content-Security-Policy).
        {"object_history_list_template": "audit/object_history_list.html"},
    )


for _model in TRACKED:
    _current = type(admin.site._registry[_model]) if admin.site.is_registered(_model) else admin.ModelAdmin
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, with_history(_current))
