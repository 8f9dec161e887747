"""Demo accounts, one per role, printed by `make run`."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value, yield_hotp_counters_from_time

from accounts.models import AccountStatus, Role, User

DEMO_PASSWORD = "demo-gomask-2026"
# Public on purpose: demo accounts only, never a real deployment.
DEMO_TOTP_SECRET = "GOMASKDEMOOCCITANIEGOMASKDEMO234"


def demo_account(*, email: str, role: str, first_name: str, last_name: str, **fields) -> User:
    user, created = User.objects.get_or_create(
        email=email,
        defaults={
            "role": role,
            "first_name": first_name,
            "last_name": last_name,
            "status": AccountStatus.ACTIVE,
            **fields,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
    if (
        role in {Role.ARS_STAFF, Role.ADMIN}
        and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    ):
        TOTP.activate(user, DEMO_TOTP_SECRET)
    return user


def current_demo_totp_code() -> str:
    counter = next(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counter))


def demo_phone(prefix: str, rng) -> str:
    """A random metropolitan number; drawn again when it falls in an unallocated or overseas
    range (05 94… is Guyane), which the E.164 check of stored phones would refuse."""
    from gomask.phones import legacy_to_e164

    while True:
        number = " ".join([prefix] + [f"{rng.randint(10, 99)}" for _ in range(4)])
        if legacy_to_e164(number).startswith("+33"):
            return number


def seed_staff_accounts():
    demo_account(
        email="ars@demo.gomask.fr", role=Role.ARS_STAFF, first_name="Inès", last_name="Garcia", region_id="76"
    )
    demo_account(
        email="admin@demo.gomask.fr",
        role=Role.ADMIN,
        first_name="Paul",
        last_name="Roux",
        is_staff=True,
        is_superuser=True,
    )
    demo_account(email="patient@demo.gomask.fr", role=Role.PATIENT, first_name="Louise", last_name="Bernard")
    return [
        ("Agent ARS Occitanie", "ars@demo.gomask.fr"),
        ("Administrateur national", "admin@demo.gomask.fr"),
        ("Patient", "patient@demo.gomask.fr"),
    ]
