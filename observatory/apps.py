from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObservatoryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "observatory"
    verbose_name = _("Observatoire de l'accès aux soins")
