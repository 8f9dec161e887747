"""Signed one-click unsubscribe links (django.core.signing, salted, no expiry)."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

UNSUBSCRIBE_SALT = "gomask.notifications.unsubscribe"


def make_unsubscribe_token(*, professional_id: int, channel: str) -> str:
    return signing.dumps({"p": professional_id, "c": channel}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """(professional_id, channel); raises signing.BadSignature for a tampered or unknown token."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if not isinstance(data, dict) or not isinstance(data.get("p"), int) or not isinstance(data.get("c"), str):
        raise signing.BadSignature("malformed unsubscribe token")
    return data["p"], data["c"]


def unsubscribe_url(*, professional_id: int, channel: str) -> str:
    token = make_unsubscribe_token(professional_id=professional_id, channel=channel)
    return settings.SITE_URL + reverse("notifications:unsubscribe", args=[token])


def absolute(path: str) -> str:
    return path if path.startswith("http") else settings.SITE_URL + path
