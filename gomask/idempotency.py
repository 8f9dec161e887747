"""One idempotency contract for every write that must not happen twice.

A write guarded by a key (the API's `Idempotency-Key` header, or the hidden one-time key of a
page's form) claims the key, per actor and per kind of write (`scope`), in the write's own
transaction (`once`):

- the first request with the key writes, and the key records what it produced;
- a repeat with the same key and the same request writes nothing and gets the first result back
  (`Done.replayed`): the API answers 200 with it, the page shows the same confirmation;
- the same key with a different request is refused, 409 `idempotency_key_reused`;
- a write that fails releases its key with its transaction, so the corrected form can be sent
  again with it; two simultaneous requests with one key queue on the key's row.

Keys are kept for RETENTION (a stale tab or a client's retries), then purged by a periodic task.
"""

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

from django import forms
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gomask.errors import Conflict, InvalidInput
from gomask.locks import retry_on_contention

T = TypeVar("T")

# A stale tab can be sent again days later, a client retries within minutes: a week covers both.
RETENTION = timedelta(days=7)
MAX_KEY_LENGTH = 100


@dataclass(frozen=True)
class Done(Generic[T]):
    """What a guarded write produced, and whether this request only replayed it."""

    value: T
    replayed: bool = False


class KeyReused(Conflict):
    code = "idempotency_key_reused"
    default_message = gettext_lazy(
        "Cette demande a déjà été envoyée avec d'autres valeurs (même clé d'idempotence) : "
        "rechargez la page, ou utilisez une nouvelle clé."
    )


class AlreadySubmitted(Conflict):
    code = "already_submitted"
    default_message = gettext_lazy("Ce formulaire a déjà été envoyé : il n'a été pris en compte qu'une fois.")


def clean_key(value) -> str | None:
    """The key as given (trimmed), None when there is none; 1 to 100 printable characters."""
    if value in (None, ""):
        return None
    key = str(value).strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(
            _("La clé d'idempotence doit faire de 1 à 100 caractères imprimables."),
            code="invalid_idempotency_key",
        )
    return key


def new_key() -> str:
    """A fresh key for a page's form (a hidden field)."""
    return str(uuid.uuid4())


class IdempotentForm(forms.Form):
    """A page's form carrying a fresh idempotency key (hidden): a double-clicked submit, or the
    form sent again after Back, is recorded once and shows the same confirmation."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, initial=new_key, max_length=MAX_KEY_LENGTH)


def _plain(value):
    if isinstance(value, (list, tuple, set, frozenset)):
        return sorted(_plain(item) for item in value)
    return "" if value is None else str(value).strip()


def fingerprint(request: Mapping) -> str:
    """A digest of what was asked: the same request in another spelling (6 or "6") is the same."""
    plain = {str(name): _plain(value) for name, value in request.items()}
    return hashlib.sha256(json.dumps(plain, sort_keys=True).encode()).hexdigest()


def _claim(*, actor, scope: str, key: str, digest: str):
    """The key's row, locked: inserted by this transaction, or the committed one of a first request.

    `ON CONFLICT DO NOTHING` waits for a simultaneous first request with the same key to end;
    the SELECT then reads its row (committed) or, if it failed, the row this insert wrote.
    """
    from gomask.models import IdempotencyKey

    IdempotencyKey.objects.bulk_create(
        [IdempotencyKey(actor=actor, scope=scope, key=key, fingerprint=digest)], ignore_conflicts=True
    )
    record = IdempotencyKey.objects.select_for_update().get(actor=actor, scope=scope, key=key)
    if record.fingerprint != digest:
        raise KeyReused()
    return record


@retry_on_contention
def once(
    *,
    actor,
    scope: str,
    key,
    request: Mapping,
    perform: Callable[[], T],
    load: Callable[[int], T],
    ref: Callable[[T], int] = lambda value: value.pk,
) -> Done[T]:
    """Run `perform()` once per (actor, scope, key); a repeat gets `load(ref(first result))` back.

    Without a key (or without an actor) the write is simply performed. `perform` is the whole
    domain action (a service); it runs inside this transaction, after the key's row is locked.
    """
    key = clean_key(key)
    if key is None or actor is None or not getattr(actor, "pk", None):
        return Done(perform())
    digest = fingerprint(request)
    with transaction.atomic():
        record = _claim(actor=actor, scope=scope, key=key, digest=digest)
        if record.result_id is not None:
            return Done(load(record.result_id), replayed=True)
        value = perform()
        record.result_id = ref(value)
        record.save(update_fields=["result_id"])
    return Done(value)


def idempotent(scope: str, *, load: Callable[[int], T], ref: Callable[[T], int] = lambda value: value.pk):
    """Give a service a `.once(idempotency_key=..., **same arguments)` that runs it under `once`.

    The request's fingerprint is every argument but `actor` and `now`; the service itself keeps
    its signature, so callers that need no key (tasks, demo, other services) call it as before.
    """

    def decorate(service):
        def run_once(*, idempotency_key=None, **kwargs) -> Done:
            return once(
                actor=kwargs.get("actor"),
                scope=scope,
                key=idempotency_key,
                request={name: value for name, value in kwargs.items() if name not in ("actor", "now")},
                perform=lambda: service(**kwargs),
                load=load,
                ref=ref,
            )

        service.once = run_once
        return service

    return decorate


def claim_form_token(form_token, *, actor, scope: str = "form") -> None:
    """Use up a one-time form key in the current transaction, for a write with no result to
    give back (None: no protection asked); a repeat is refused with AlreadySubmitted."""
    from gomask.models import IdempotencyKey

    key = clean_key(form_token)
    if key is None:
        return
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(actor=actor, scope=scope, key=key, fingerprint="")
    except IntegrityError as exc:
        raise AlreadySubmitted() from exc


def purge(*, now=None) -> int:
    """Forget keys older than RETENTION (periodic); the number deleted."""
    from gomask.models import IdempotencyKey

    since = (now or timezone.now()) - RETENTION
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=since).delete()
    return deleted
