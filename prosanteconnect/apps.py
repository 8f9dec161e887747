from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProSanteConnectConfig(AppConfig):
    name = "prosanteconnect"
    verbose_name = _("Pro Santé Connect")
