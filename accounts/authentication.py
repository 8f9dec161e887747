"""API authentication: DRF's token, with the same account-status gate as the pages."""

from rest_framework import authentication

from accounts import access
from gomask.errors import NotAllowed


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`; a pending or suspended account reaches only /api/me/."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        match = request._request.resolver_match
        if not access.may_reach(user, view_name=match.view_name if match else None, path=request.path):
            # Later reads of request.user (a renderer) see an anonymous caller, not a second check.
            request._not_authenticated()
            raise NotAllowed(access.status_message(user), code=access.status_code(user))
        return result
