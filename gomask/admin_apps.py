from importlib import import_module

from django.apps import apps
from django.contrib.admin.apps import SimpleAdminConfig
from django.utils.module_loading import module_has_submodule

# django-leaflet's admin module imports GeoDjango, which needs the GDAL C library; the
# portal stores plain latitude/longitude and does not use GeoDjango, so it is skipped.
_SKIPPED_ADMIN_MODULES = {"leaflet"}


class PortalAdminConfig(SimpleAdminConfig):
    """The Django admin, discovering every app's admin.py except django-leaflet's."""

    default_site = "gomask.admin_site.PortalAdminSite"

    def ready(self):
        super().ready()
        for app_config in apps.get_app_configs():
            if app_config.name in _SKIPPED_ADMIN_MODULES:
                continue
            if module_has_submodule(app_config.module, "admin"):
                import_module(f"{app_config.name}.admin")
