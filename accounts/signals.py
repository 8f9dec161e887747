from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added
from django.dispatch import receiver


@receiver(authenticator_added)
def enrolling_totp_passes_the_second_factor(sender, request, user, authenticator, **kwargs):
    """Activating TOTP checks a code from the new authenticator: this session has passed it."""
    if request is not None and authenticator.type == Authenticator.Type.TOTP:
        record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
        # allauth sends this signal on commit, which may come after the session was saved.
        request.session.save()
