"""The project's one domain write: completing a sign-up, which composes accounts, pharmacies and
professionals (so it lives above them all, next to the sign-up form that calls it)."""

from django.db import transaction

from accounts.models import AccountStatus, Role
from pharmacies.services import request_membership
from professionals.services import register_professional

# Accounts that act for others (stock, quotas) wait for a check; a patient acts at once.
CHECKED_ROLES = {Role.PHARMACIST, Role.PROFESSIONAL}


@transaction.atomic
def complete_signup(
    *,
    user,
    role: str,
    first_name: str,
    last_name: str,
    phone: str = "",
    profession: str = "",
    identifier: str = "",
    practice_commune=None,
    practice_address: str = "",
    finess: str = "",
):
    """The account allauth just created gets its name, role and status, then a professional
    record (a health professional) or a membership request at an officine (a pharmacist)."""
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.phone = phone
    user.role = role
    user.status = AccountStatus.PENDING if role in CHECKED_ROLES else AccountStatus.ACTIVE
    user.save()
    if role == Role.PROFESSIONAL:
        register_professional(
            user=user,
            identifier=identifier,
            profession=profession,
            first_name=user.first_name,
            last_name=user.last_name,
            practice_commune=practice_commune,
            practice_address=practice_address,
            phone=user.phone,
            email=user.email,
        )
    elif role == Role.PHARMACIST:
        request_membership(user=user, finess=finess)
    return user
