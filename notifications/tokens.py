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


ACKNOWLEDGE_SALT = "gomask.crisis.acknowledge"


def make_acknowledge_token(*, bulletin_id: int, professional_id: int, channel: str) -> str:
    """The signed one-click "pris en compte" link of one bulletin for one professional (no expiry:
    the acknowledgement is once per bulletin and professional, whatever the link)."""
    return signing.dumps(
        {"b": bulletin_id, "p": professional_id, "c": channel}, salt=ACKNOWLEDGE_SALT, compress=True
    )


def read_acknowledge_token(token: str) -> tuple[int, int, str]:
    """(bulletin_id, professional_id, channel); raises signing.BadSignature when tampered or malformed."""
    data = signing.loads(token, salt=ACKNOWLEDGE_SALT)
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("b"), int)
        or not isinstance(data.get("p"), int)
        or not isinstance(data.get("c"), str)
    ):
        raise signing.BadSignature("malformed acknowledge token")
    return data["b"], data["p"], data["c"]


def acknowledge_path(*, bulletin_id: int, professional_id: int, channel: str) -> str:
    """The page (of the crisis app) where the professional acknowledges the bulletin."""
    token = make_acknowledge_token(bulletin_id=bulletin_id, professional_id=professional_id, channel=channel)
    return reverse("crisis:acknowledge", args=[token])
