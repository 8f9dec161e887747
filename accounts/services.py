from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.hooks import announce_approval
from accounts.models import AccountStatus, Role, User
from accounts.permissions import ADMIN, require_role
from gomask.errors import InvalidInput


@transaction.atomic
def approve_account(*, approver: User, user_id: int) -> User:
    """An administrator validates a pending account; the person may then act."""
    require_role(approver, ADMIN, _("Seul un administrateur peut valider un compte."))
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
    # The e-mail telling the person: an outbox row in this transaction (accounts/hooks.py).
    announce_approval(user)
    return user
