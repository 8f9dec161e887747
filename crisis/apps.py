from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrisisConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "crisis"
    verbose_name = _("Console de crise des CPTS (SSE)")
