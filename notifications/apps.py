from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = _("Notifications et bulletins")

    def ready(self):
        # A stock arrival reaches notifications through an explicit hook of pharmacies (which
        # sits below notifications and must not import it): see pharmacies/hooks.py.
        from accounts.hooks import on_account_mail, on_approval
        from notifications.account_messages import record_account_approval, record_account_mail
        from notifications.services import record_stock_arrival
        from pharmacies.hooks import on_arrival

        on_arrival(record_stock_arrival)
        # Likewise an approved account (accounts/hooks.py): its e-mail goes through the outbox.
        on_approval(record_account_approval)
        # And allauth's own e-mails (verification, password reset...), rendered by the adapter.
        on_account_mail(record_account_mail)
