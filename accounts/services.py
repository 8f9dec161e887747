from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AccountStatus, Role, User
from gomask.errors import InvalidInput, NotAllowed


@transaction.atomic
def approve_account(*, approver: User, user_id: int) -> User:
    """An administrator validates a pending account; the person may then act."""
    if not (approver.role == Role.ADMIN and approver.is_approved):
        raise NotAllowed(_("Seul un administrateur peut valider un compte."))
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise InvalidInput(_("Compte introuvable."), code="not_found")
    if user.status != AccountStatus.PENDING:
        return user  # Approving twice (a double click) changes nothing.
    user.status = AccountStatus.ACTIVE
    user.approved_by = approver
    user.approved_at = timezone.now()
    user.save(update_fields=["status", "approved_by", "approved_at"])
    if user.role == Role.PHARMACIST:
        user.pharmacy_memberships.filter(status="pending").update(
            status="active", approved_by=approver, approved_at=user.approved_at
        )
    announce_approval(user.pk)
    return user


def announce_approval(user_id: int) -> None:
    """Tell the person, once the approval is committed, that they can now act."""
    from accounts.tasks import send_account_approved_email

    transaction.on_commit(lambda: send_account_approved_email.delay(user_id))


def send_account_approved_email(*, user_id: int) -> None:
    user = User.objects.get(pk=user_id)
    send_mail(
        subject=_("GO MASK : votre compte est validé"),
        message=_(
            "Bonjour %(name)s,\n\nVotre compte GO MASK est validé : vous pouvez désormais vous "
            "connecter et agir sur le portail.\n\n%(url)s\n"
        )
        % {"name": user.get_full_name() or user.email, "url": settings.SITE_URL + reverse("account_login")},
        from_email=None,
        recipient_list=[user.email],
    )
