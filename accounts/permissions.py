"""Who may use a view, an endpoint or a service: one vocabulary.

- "logged in, approved, role in X" is `user_may_act_as(user, roles)`; a service refuses with
  `require_role(user, roles, message)`; a view states its audience with `role_required(...)`
  (HTML) and an endpoint with `HasRole(...)` (API), both built on it.
- a region's objects: `ensure_region_scope(user, region_code)`.
- one gate per kind of object, in the app that owns it (import layers), used by pages, API and
  services alike: the pharmacy of a member, `pharmacies.selectors.pharmacy_for_member` (and
  `pharmacies.selectors.pharmacist_pharmacy`, the same gate for an approved pharmacist); an
  option for its professional, `distribution.services.owned_reservation`; a professional acting
  on their own account, `distribution.services.acting_professional`.

Pending or suspended accounts are refused like other roles: they may log in and read
their status, nothing else.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from accounts.access import PENDING_MESSAGE, status_message
from accounts.models import Role

__all__ = [
    "PENDING_MESSAGE",
    "HasRole",
    "role_required",
    "require_role",
    "user_may_act_as",
    "is_admin",
    "is_doctor",
    "ensure_region_scope",
]


def user_may_act_as(user, roles) -> bool:
    """Logged in, approved, and of one of `roles`: the one test behind every gate below."""
    return bool(user and user.is_authenticated and user.is_approved and user.role in roles)


def is_admin(user) -> bool:
    return user_may_act_as(user, ADMIN)


def is_doctor(user) -> bool:
    """A médecin (only they volunteer for solidarity consultations): the menu and the pages ask this.

    Read through the reverse one-to-one `user.professional`: accounts sits below professionals
    and imports nothing from it ("medecin" is professionals.models.Profession.MEDECIN).
    """
    professional = getattr(user, "professional", None)
    return professional is not None and professional.profession == "medecin"


def require_role(user, roles, message=None, *, code=None, pending_message=None) -> None:
    """The gate of a service: refuse with NotAllowed (403) unless `user_may_act_as(user, roles)`.

    `pending_message`: what an account of the right role that is not yet approved is told
    (code `account_pending`); otherwise it gets `message` like any other account.
    """
    from gomask.errors import NotAllowed

    if user_may_act_as(user, roles):
        return
    if pending_message is not None and user and user.is_authenticated and user.role in roles:
        raise NotAllowed(pending_message, code="account_pending")
    raise NotAllowed(message, code=code)


def role_required(*roles: str):
    """Decorator for HTML views: anonymous -> login page; other roles or pending -> 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if user.role in roles and not user.is_approved:
                raise PermissionDenied(status_message(user))
            if not user_may_act_as(user, roles):
                raise PermissionDenied(_("Cette page est réservée à un autre type de compte."))
            return view(request, *args, **kwargs)

        wrapper.allowed_roles = roles
        return wrapper

    return decorator


class HasRole(BasePermission):
    """DRF permission: `permission_classes = [HasRole.of(Role.PHARMACIST)]`."""

    roles: tuple[str, ...] = ()
    message = _("Cette action est réservée à un autre type de compte.")

    @classmethod
    def of(cls, *roles: str):
        return type(f"HasRole_{'_'.join(roles)}", (cls,), {"roles": roles})

    def has_permission(self, request, view):
        user = request.user
        if user and user.is_authenticated and user.role in self.roles and not user.is_approved:
            self.message = status_message(user)
            return False
        return user_may_act_as(user, self.roles)


PHARMACIST = (Role.PHARMACIST,)
PROFESSIONAL = (Role.PROFESSIONAL,)
ARS = (Role.ARS_STAFF, Role.ADMIN)
ADMIN = (Role.ADMIN,)


def ensure_region_scope(user, region_code: str) -> None:
    """ARS staff and CPTS coordinators act in their own region; administrators everywhere."""
    from gomask.errors import NotAllowed

    if is_admin(user):
        return
    if user.region_id != region_code:
        raise NotAllowed(_("Cette action sort du périmètre de votre région."), code="out_of_region")
