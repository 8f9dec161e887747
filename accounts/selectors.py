from django.db.models import QuerySet

from accounts.models import AccountStatus, User


def pending_accounts() -> QuerySet[User]:
    return (
        User.objects.filter(status=AccountStatus.PENDING)
        .select_related("professional")
        .prefetch_related("pharmacy_memberships__pharmacy")
        .order_by("date_joined")
    )
