"""The kernel's one table: the idempotency keys of writes that must not happen twice."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdempotencyKey(models.Model):
    """A key an actor gave to one write (`scope`), used up in the transaction of that write.

    `fingerprint` digests the request, so the same key sent with a different request is
    recognised; `result_id` is the primary key of what the write produced, so a repeat gets
    it back. Kept for `gomask.idempotency.RETENTION`, then purged.
    """

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=50)
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)
    result_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("clé d'idempotence")
        verbose_name_plural = _("clés d'idempotence")
        constraints = [
            models.UniqueConstraint(fields=["actor", "scope", "key"], name="idempotency_key_per_actor"),
        ]

    def __str__(self):
        return f"{self.scope}:{self.key}"
