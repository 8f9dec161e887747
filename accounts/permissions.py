"""Who may use a view or an endpoint.

Every view states its audience with `role_required(...)` (HTML) or `HasRole(...)` (API).
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

__all__ = ["PENDING_MESSAGE", "HasRole", "role_required", "user_may_act_as", "ensure_region_scope"]


def user_may_act_as(user, roles) -> bool:
    return bool(user and user.is_authenticated and user.is_approved and user.role in roles)


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


def ensure_region_scope(user, region_code: str) -> None:
    """ARS staff and CPTS coordinators act in their own region; administrators everywhere."""
    from gomask.errors import NotAllowed

    if user.role == Role.ADMIN and user.is_approved:
        return
    if user.region_id != region_code:
        raise NotAllowed(_("Cette action sort du périmètre de votre région."), code="out_of_region")
