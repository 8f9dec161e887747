"""Domain actions of the notifications app: one function per action, keyword-only arguments.

Side effects (e-mail, SMS) are never performed here: services write outbox rows
(`Delivery`) in the caller's transaction and queue their delivery after commit.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AccountStatus, Role
from accounts.permissions import ensure_region_scope
from gomask import clock, locks
from gomask.cleaning import parse_id
from gomask.errors import InvalidInput, NotAllowed, NotFound
from gomask.idempotency import Done, once
from gomask.phones import NOT_MOBILE_MESSAGE, is_mobile
from notifications import selectors
from notifications.delivery import publish_on_commit
from notifications.models import (
    BODY_MAX,
    TITLE_MAX,
    ArrivalNotice,
    CallMark,
    Channel,
    CoordinatorScope,
    CrisisBulletin,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Notification,
    NotificationPreference,
    Severity,
)
from notifications.tokens import acknowledge_path, read_unsubscribe_token
from pharmacies.models import MovementKind
from pharmacies.wording import enumerate_fr, masks, pharmacy_label
from professionals.models import Profession, Professional
from territories.models import Departement, Epci, Region

# Which channels a professional receives: one rule, also used to count a bulletin's messages.
_channels = selectors.recipient_channels


def _lock_arrival_window(pharmacy_id: int) -> None:
    """Serialises the arrival window of one pharmacy (no row to lock before the notice exists)."""
    locks.advisory_lock("arrival-window", pharmacy_id)


def arrival_message(
    notice: ArrivalNotice, notices: list[ArrivalNotice] | None = None
) -> tuple[str, str, str]:
    """(subject, body, url) of the message announcing `notice`, summing up `notices`.

    `notices` are the arrivals of the same pharmacy in the notification window (including
    `notice`) of the products the recipient may receive: the message adds them up per product
    ("vient de recevoir 150 masques chirurgicaux (type II/IIR) et 40 masques FFP2") instead of
    telling only the last one; the stock available is the latest known for each product.
    """
    pharmacy = notice.pharmacy
    notices = sorted(notices or [notice], key=lambda row: (row.created_at, row.pk))
    received: dict[int, int] = {}
    latest: dict[int, ArrivalNotice] = {}
    for row in notices:
        received[row.product_id] = received.get(row.product_id, 0) + row.quantity
        latest[row.product_id] = row
    order = sorted(latest, key=lambda product_id: latest[product_id].product.code, reverse=True)
    subject = _("Masques disponibles à %(pharmacy)s") % {"pharmacy": pharmacy.name}
    body = _(
        "%(pharmacy)s vient de recevoir %(received)s. "
        "Disponibles à cet instant : %(available)s (indicatif). "
        "Posez une option de retrait depuis le portail, puis présentez-vous au comptoir "
        "avec votre carte professionnelle."
    ) % {
        "pharmacy": pharmacy_label(pharmacy),
        "received": enumerate_fr([masks(received[pid], latest[pid].product) for pid in order]),
        "available": enumerate_fr(
            [masks(max(latest[pid].available, 0), latest[pid].product) for pid in order]
        ),
    }
    url = reverse("notifications:arrival", args=[notice.pk])
    return subject, body, url


def _receivable_products(recipients: list[dict], product_ids: set[int], *, on) -> dict[tuple, frozenset]:
    """For each (profession, practice region) of `recipients`: which of `product_ids` they may
    receive, i.e. have a quota above zero for today (the quota is looked up like a handover's)."""
    from distribution.quotas import policy_in_force

    allowed = {}
    for key in {(row["profession"], row["practice_commune__region_id"]) for row in recipients}:
        profession, region_code = key
        allowed[key] = frozenset(
            product_id
            for product_id in product_ids
            if (
                policy := policy_in_force(
                    profession=profession, product_id=product_id, region_code=region_code, on=on
                )
            )
            is not None
            and policy.quantity > 0
        )
    return allowed


def record_stock_arrival(*, movement) -> ArrivalNotice:
    """Write, in the arrival's own transaction, the outbox rows telling every referenced professional.

    Called by pharmacies.services.declare_arrival after its ledger row, through the hook
    registered in NotificationsConfig.ready. Within
    NOTIFICATIONS_ARRIVAL_WINDOW of a message about the same pharmacy, a professional's
    pending message is updated (and an in-portal one refreshed) instead of repeated.
    """
    assert transaction.get_connection().in_atomic_block, (
        "record_stock_arrival needs the arrival's transaction"
    )
    if movement.kind != MovementKind.ARRIVAL:
        raise InvalidInput(_("Seule une arrivée de masques est annoncée."), code="not_an_arrival")
    notice = ArrivalNotice.objects.create(
        movement=movement,
        pharmacy_id=movement.pharmacy_id,
        product_id=movement.product_id,
        quantity=movement.on_hand_delta,
        available=movement.on_hand_after - movement.reserved_after,
    )
    notice = ArrivalNotice.objects.select_related("pharmacy__commune", "product").get(pk=notice.pk)
    _lock_arrival_window(movement.pharmacy_id)
    now = timezone.now()
    window = settings.NOTIFICATIONS_ARRIVAL_WINDOW
    in_window = [notice]
    if window:
        in_window += list(
            ArrivalNotice.objects.filter(pharmacy_id=movement.pharmacy_id, created_at__gte=now - window)
            .exclude(pk=notice.pk)
            .select_related("product")
        )
    latest: dict[tuple[int, str], tuple[int, str]] = {}
    if window:
        recent = (
            Delivery.objects.filter(
                kind=DeliveryKind.STOCK_ARRIVAL,
                pharmacy_id=movement.pharmacy_id,
                created_at__gte=now - window,
            )
            .order_by("created_at", "id")
            .values_list("id", "professional_id", "channel", "status")
        )
        for delivery_id, professional_id, channel, status in recent:
            latest[(professional_id, channel)] = (delivery_id, status)
    new_rows: list[Delivery] = []
    refresh_pending: dict[tuple, list[int]] = {}
    refresh_portal: dict[tuple, list[int]] = {}
    recipients = selectors.recipient_rows(selectors.referenced_professionals(movement.pharmacy_id))
    # Only professionals with a quota for this product are told; each one's message sums up the
    # window's arrivals of the products they may receive.
    receivable = _receivable_products(
        recipients, {row.product_id for row in in_window}, on=timezone.localdate(now)
    )
    recipients = [
        row
        for row in recipients
        if notice.product_id in receivable[(row["profession"], row["practice_commune__region_id"])]
    ]
    bodies: dict[frozenset, tuple[str, str, str]] = {}
    for products in set(receivable.values()):
        if notice.product_id in products:
            bodies[products] = arrival_message(
                notice, [row for row in in_window if row.product_id in products]
            )
    for recipient in recipients:
        message = bodies[receivable[(recipient["profession"], recipient["practice_commune__region_id"])]]
        subject, body, url = message
        for channel, address, user_id in _channels(recipient):
            previous = latest.get((recipient["id"], channel))
            if previous is None:
                new_rows.append(
                    Delivery(
                        delivery_key=f"arrival:{notice.pk}:{recipient['id']}:{channel}",
                        kind=DeliveryKind.STOCK_ARRIVAL,
                        channel=channel,
                        professional_id=recipient["id"],
                        user_id=user_id,
                        address=address,
                        pharmacy_id=movement.pharmacy_id,
                        arrival=notice,
                        subject=subject,
                        body=body,
                        url=url,
                        next_attempt_at=now,
                        enqueued_at=now,
                    )
                )
                continue
            elif previous[1] == DeliveryStatus.PENDING:
                refresh_pending.setdefault(message, []).append(previous[0])
            elif channel == Channel.PORTAL and previous[1] == DeliveryStatus.SENT:
                refresh_portal.setdefault(message, []).append(previous[0])
            # An e-mail or SMS already sent (or being sent) in the window is not repeated.
    Delivery.objects.bulk_create(new_rows, batch_size=2000)
    for (subject, body, url), ids in refresh_pending.items():
        Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.PENDING).update(
            subject=subject, body=body, url=url, arrival=notice, updated_at=now
        )
    for (subject, body, url), ids in refresh_portal.items():
        Notification.objects.filter(delivery_id__in=ids).update(
            title=subject, body=body, url=url, read_at=None, updated_at=now
        )
    notice.recipients = len(recipients)
    notice.save(update_fields=["recipients"])
    publish_on_commit([row.pk for row in new_rows])
    return notice


# --- Preferences ----------------------------------------------------------------------


@transaction.atomic
def set_preferences(
    *, professional: Professional, email: bool, sms: bool, portal: bool
) -> NotificationPreference:
    """A professional chooses the channels of their notifications; SMS needs a mobile number."""
    if sms and not is_mobile(professional.phone):
        missing = _("Votre fiche ne comporte aucun numéro de mobile.")
        raise InvalidInput(
            NOT_MOBILE_MESSAGE if professional.phone else missing,
            code="phone_not_mobile",
            field="sms",
        )
    preference, _created = NotificationPreference.objects.select_for_update().get_or_create(
        professional=professional
    )
    preference.email, preference.sms, preference.portal = bool(email), bool(sms), bool(portal)
    preference.save()
    return preference


@transaction.atomic
def unsubscribe(*, token: str) -> tuple[Professional, str]:
    """One-click unsubscribe from a signed link; a tampered or unknown token changes nothing."""
    try:
        professional_id, channel = read_unsubscribe_token(token)
    except signing.BadSignature as exc:
        raise InvalidInput(
            _("Ce lien de désabonnement n'est pas valide ou a été modifié : aucun changement n'a été fait."),
            code="bad_unsubscribe_token",
        ) from exc
    if channel not in Channel.values:
        raise InvalidInput(_("Ce lien de désabonnement n'est pas valide."), code="bad_unsubscribe_token")
    professional = Professional.objects.filter(pk=professional_id).first()
    if professional is None:
        raise InvalidInput(
            _("Ce lien de désabonnement ne correspond à aucun professionnel."),
            code="unknown_unsubscribe_token",
        )
    preference, _created = NotificationPreference.objects.select_for_update().get_or_create(
        professional=professional
    )
    setattr(preference, channel, False)
    preference.save()
    # Messages of that channel not yet sent are dropped too.
    Delivery.objects.filter(professional=professional, channel=channel, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SKIPPED, last_error="unsubscribed", updated_at=timezone.now()
    )
    return professional, channel


# --- In-portal notifications ----------------------------------------------------------


def mark_read(*, user, notification_id) -> Notification:
    """The recipient marks one of their notifications as read (someone else's: 404)."""
    notification = Notification.objects.filter(pk=parse_id(notification_id), user=user).first()
    if notification is None:
        raise NotFound(_("Notification introuvable."))
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
        notification.refresh_from_db()
    return notification


def mark_all_read(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


# --- Pharmacist call list ---------------------------------------------------------------


@transaction.atomic
def mark_reached(*, actor, notice_id, professional_id, reached: bool = True) -> bool:
    """The pharmacist ticks (or unticks) a referenced professional reached by phone after an arrival."""
    notice = selectors.notice_for_member(actor, notice_id)
    professional_id = parse_id(professional_id)
    if professional_id is None:
        raise InvalidInput(_("Professionnel inconnu."), code="unknown_professional")
    if not selectors.referenced_professionals(notice.pharmacy_id).filter(pk=professional_id).exists():
        raise InvalidInput(
            _("Ce professionnel n'est pas référencé dans votre officine."), code="not_referenced_here"
        )
    if reached:
        CallMark.objects.get_or_create(
            notice=notice, professional_id=professional_id, defaults={"reached_by": actor}
        )
    else:
        CallMark.objects.filter(notice=notice, professional_id=professional_id).delete()
    return reached


# --- Crisis bulletins -------------------------------------------------------------------

PUBLISHER_ROLES = (Role.ARS_STAFF, Role.CPTS_COORDINATOR, Role.ADMIN)


def _clean_text(value, *, field: str, maximum: int, empty_code: str, long_code: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(
            _("%(label)s ne peut pas être vide.") % {"label": label}, code=empty_code, field=field
        )
    if len(value) > maximum:
        raise InvalidInput(
            _("%(label)s dépasse %(max)d caractères (%(length)d).")
            % {"label": label, "max": maximum, "length": len(value)},
            code=long_code,
            field=field,
        )
    return value


@dataclass(frozen=True)
class BulletinScope:
    """Who a bulletin reaches: a region, optionally narrowed to départements, EPCIs or communes
    (a CPTS territory) and to professions."""

    region: Region
    departements: list
    epcis: list
    communes: list
    professions: list

    def recipients(self):
        return selectors.recipients_in_scope(
            region_code=self.region.pk,
            departement_codes=[d.pk for d in self.departements],
            epci_codes=[e.pk for e in self.epcis],
            commune_codes=[c.pk for c in self.communes],
            professions=self.professions,
        )


def _ensure_publisher(author) -> None:
    if not (author.is_authenticated and author.is_approved and author.role in PUBLISHER_ROLES):
        raise NotAllowed(_("Seuls l'ARS et les coordinateurs de CPTS publient des bulletins."))


def bulletin_scope(
    *, author, region_code: str | None = None, departement_codes=(), epci_codes=(), professions=()
) -> BulletinScope:
    """The scope a bulletin of `author` would have: ARS staff their region, a CPTS coordinator
    their territory (by default all of it), an administrator the region they choose.

    Targeting outside one's scope is refused. Writes nothing: the preview and the
    publication read the same scope.
    """
    _ensure_publisher(author)
    professions = sorted(set(professions or ()))
    unknown = [code for code in professions if code not in Profession.values]
    if unknown:
        raise InvalidInput(
            _("Profession inconnue : %(codes)s.") % {"codes": ", ".join(unknown)},
            code="invalid_profession",
            field="professions",
        )
    departement_codes = sorted(set(departement_codes or ()))
    epci_codes = sorted(set(epci_codes or ()))

    territory = None
    if author.role == Role.ADMIN:
        region_code = region_code or None
        if not region_code:
            raise InvalidInput(_("Choisissez la région visée."), code="missing_region", field="region")
    elif author.role == Role.ARS_STAFF:
        region_code = region_code or author.region_id
        ensure_region_scope(author, region_code)
    else:
        region_code = region_code or author.region_id
        ensure_region_scope(author, region_code)
        territory = CoordinatorScope.objects.filter(user=author).first()
        if territory is None:
            raise NotAllowed(_("Aucun territoire de CPTS ne vous est rattaché."), code="no_cpts_territory")
    region = Region.objects.filter(pk=region_code).first()
    if region is None:
        raise InvalidInput(_("Région inconnue."), code="unknown_region", field="region")

    departements = list(Departement.objects.filter(pk__in=departement_codes))
    if len(departements) != len(departement_codes):
        raise InvalidInput(_("Département inconnu."), code="unknown_departement", field="departements")
    epcis = list(Epci.objects.filter(pk__in=epci_codes))
    if len(epcis) != len(epci_codes):
        raise InvalidInput(_("Intercommunalité inconnue."), code="unknown_epci", field="epcis")
    if any(d.region_id != region.pk for d in departements) or any(e.region_id != region.pk for e in epcis):
        raise NotAllowed(_("Ce ciblage sort du périmètre de votre région."), code="out_of_region")
    communes = []
    if territory is not None:
        if departements:
            raise NotAllowed(
                _(
                    "Un coordinateur de CPTS cible les intercommunalités de son territoire, "
                    "pas un département."
                ),
                code="out_of_territory",
            )
        allowed = set(territory.epcis.values_list("pk", flat=True))
        if any(e.pk not in allowed for e in epcis):
            raise NotAllowed(_("Ce ciblage sort du territoire de votre CPTS."), code="out_of_territory")
        if not epcis:
            epcis = list(territory.epcis.all())
            communes = list(territory.communes.all())
        if not epcis and not communes:
            raise NotAllowed(_("Le territoire de votre CPTS est vide."), code="no_cpts_territory")
    return BulletinScope(
        region=region, departements=departements, epcis=epcis, communes=communes, professions=professions
    )


@dataclass(frozen=True)
class BulletinContent:
    """What a bulletin says, checked: title, body, severity, public or not, drill or not."""

    title: str
    body: str
    severity: str
    is_public: bool = False
    is_drill: bool = False


def bulletin_content(
    *, author, title: str, body: str, severity: str, is_public: bool = False, is_drill: bool = False
) -> BulletinContent:
    """Checks what a bulletin of `author` says (writes nothing)."""
    _ensure_publisher(author)
    title = _clean_text(
        title,
        field="title",
        maximum=TITLE_MAX,
        empty_code="empty_title",
        long_code="title_too_long",
        label=_("Le titre"),
    )
    body = _clean_text(
        body,
        field="body",
        maximum=BODY_MAX,
        empty_code="empty_body",
        long_code="body_too_long",
        label=_("Le message"),
    )
    if severity not in Severity.values:
        raise InvalidInput(_("Gravité inconnue."), code="invalid_severity", field="severity")
    return BulletinContent(
        title=title, body=body, severity=severity, is_public=bool(is_public), is_drill=bool(is_drill)
    )


def publish_bulletin(
    *,
    author,
    title: str,
    body: str,
    severity: str,
    is_public: bool = False,
    is_drill: bool = False,
    region_code: str | None = None,
    departement_codes=(),
    epci_codes=(),
    professions=(),
) -> CrisisBulletin:
    """ARS staff (own region), a CPTS coordinator (own territory) or an administrator publish a bulletin.

    Two steps: check the content and resolve the audience (`bulletin_scope`, which refuses
    targeting outside one's scope: nothing is written or sent), then write it
    (`write_bulletin`). `publish_bulletin.once(idempotency_key=..., ...)` is the page's
    confirmation: a second click on "Confirmer l'envoi" with the form's one-time key publishes
    nothing and gets the first bulletin back (the kernel's `gomask.idempotency` contract).
    """
    content = bulletin_content(
        author=author, title=title, body=body, severity=severity, is_public=is_public, is_drill=is_drill
    )
    scope = bulletin_scope(
        author=author,
        region_code=region_code,
        departement_codes=departement_codes,
        epci_codes=epci_codes,
        professions=professions,
    )
    return write_bulletin(author=author, content=content, scope=scope)


def _publish_bulletin_once(*, idempotency_key=None, author, **arguments) -> Done[CrisisBulletin]:
    """`publish_bulletin` under the kernel's idempotency contract, keyed per author: a repeat
    with the same key and the same bulletin replays the first one (`Done.replayed`), the same
    key with another bulletin is 409 `idempotency_key_reused`."""
    return once(
        actor=author,
        scope="crisis-bulletin",
        key=idempotency_key,
        request=arguments,
        perform=lambda: publish_bulletin(author=author, **arguments),
        load=lambda pk: CrisisBulletin.objects.get(pk=pk),
    )


publish_bulletin.once = _publish_bulletin_once


def write_bulletin(*, author, content: BulletinContent, scope: BulletinScope) -> CrisisBulletin:
    """Writes a checked bulletin for a resolved audience; the fan-out to the targeted
    professionals runs in Celery after commit (and is restarted by the relay).

    The caller has checked `author` may reach `scope` (bulletin_scope, or the crisis console
    for an activated CPTS territory).
    """
    with transaction.atomic():
        bulletin = CrisisBulletin.objects.create(
            title=content.title,
            body=content.body,
            severity=content.severity,
            is_public=content.is_public,
            is_drill=content.is_drill,
            region=scope.region,
            professions=scope.professions,
            author=author,
            author_role=author.role,
            fanout_enqueued_at=timezone.now(),
        )
        bulletin.departements.set(scope.departements)
        bulletin.epcis.set(scope.epcis)
        bulletin.communes.set(scope.communes)
        transaction.on_commit(lambda: _queue_fan_out(bulletin.pk))
    return bulletin


def _queue_fan_out(bulletin_id: int) -> None:
    import logging

    from notifications.tasks import fan_out_bulletin

    try:
        fan_out_bulletin.apply_async((bulletin_id,), retry=False)
    except Exception:  # noqa: BLE001 - the relay restarts the fan-out once the broker is back
        logging.getLogger("notifications").warning(
            "Broker unavailable: bulletin %s fan-out postponed", bulletin_id, exc_info=True
        )
        CrisisBulletin.objects.filter(pk=bulletin_id).update(fanout_enqueued_at=None)


def drill_mark() -> str:
    """The mark of a drill, in front of every subject, SMS and title it appears in."""
    return _("EXERCICE")


def bulletin_message(bulletin: CrisisBulletin) -> tuple[str, str, str]:
    label = Severity(bulletin.severity).label
    subject = f"[{label}] {bulletin.title}"
    body = bulletin.body
    if bulletin.is_drill:
        subject = f"[{drill_mark()}] {subject}"
        body = _("EXERCICE — ce message fait partie d'un exercice de crise.") + "\n\n" + body
    return subject, body, reverse("notifications:bulletin_detail", args=[bulletin.pk])


def fan_out_bulletin(*, bulletin_id: int) -> int:
    """Write one outbox row per targeted professional and channel, in batches, and queue each batch.

    Idempotent: rows are keyed by (bulletin, professional, channel) and inserted with
    ON CONFLICT DO NOTHING, so a rerun (retry, relay) adds only what is missing.
    """
    bulletin = CrisisBulletin.objects.filter(pk=bulletin_id).first()
    if bulletin is None:
        return 0
    subject, body, _url = bulletin_message(bulletin)
    recipients = selectors.bulletin_recipients(bulletin).order_by("pk")
    size = settings.NOTIFICATIONS_BATCH_SIZE
    after, total = 0, 0
    while True:
        chunk = selectors.recipient_rows(recipients.filter(pk__gt=after)[:size])
        if not chunk:
            break
        now = timezone.now()
        rows = [
            Delivery(
                delivery_key=f"bulletin:{bulletin.pk}:{recipient['id']}:{channel}",
                kind=DeliveryKind.BULLETIN,
                channel=channel,
                professional_id=recipient["id"],
                user_id=user_id,
                address=address,
                bulletin=bulletin,
                subject=subject,
                body=body,
                # The signed one-click "pris en compte" page of this professional (crisis app).
                url=acknowledge_path(
                    bulletin_id=bulletin.pk, professional_id=recipient["id"], channel=channel
                ),
                next_attempt_at=now,
                enqueued_at=now,
            )
            for recipient in chunk
            for channel, address, user_id in _channels(recipient)
        ]
        with transaction.atomic():
            Delivery.objects.bulk_create(rows, ignore_conflicts=True)
            ids = list(
                Delivery.objects.filter(
                    delivery_key__in=[row.delivery_key for row in rows], status=DeliveryStatus.PENDING
                ).values_list("pk", flat=True)
            )
            publish_on_commit(ids)
        after = chunk[-1]["id"]
        total += len(chunk)
    CrisisBulletin.objects.filter(pk=bulletin.pk).update(recipients=total, fanout_done_at=timezone.now())
    return total


# --- Periodic messages ------------------------------------------------------------------


def _staff_deliveries(
    *, users, key_prefix: str, kind: str, subject: str, body: str, url: str
) -> list[Delivery]:
    now = timezone.now()
    rows = []
    for user in users:
        rows.append(
            Delivery(
                delivery_key=f"{key_prefix}:{user.pk}:portal",
                kind=kind,
                channel=Channel.PORTAL,
                user=user,
                subject=subject,
                body=body,
                url=url,
                next_attempt_at=now,
                enqueued_at=now,
            )
        )
        if user.email:
            rows.append(
                Delivery(
                    delivery_key=f"{key_prefix}:{user.pk}:email",
                    kind=kind,
                    channel=Channel.EMAIL,
                    user=user,
                    address=user.email,
                    subject=subject,
                    body=body,
                    url=url,
                    next_attempt_at=now,
                    enqueued_at=now,
                )
            )
    return rows


def queue_staff_messages(
    *, users, key_prefix: str, kind: str, subject: str, body: str, url: str
) -> list[int]:
    """A portal notification and an e-mail to each staff user, once per `key_prefix` and user.

    Must run inside the caller's transaction (next to the event it announces); delivered after
    commit. Returns the ids of the pending deliveries.
    """
    rows = _staff_deliveries(
        users=users, key_prefix=key_prefix, kind=kind, subject=subject, body=body, url=url
    )
    if not rows:
        return []
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    ids = list(
        Delivery.objects.filter(
            delivery_key__in=[r.delivery_key for r in rows], status=DeliveryStatus.PENDING
        ).values_list("pk", flat=True)
    )
    publish_on_commit(ids)
    return ids


def queue_stockout_summaries(*, today=None) -> int:
    """Daily: each ARS agent receives the stock-outs of their region (once per day and agent)."""
    today = today or timezone.localdate()
    created = 0
    regions = (
        Region.objects.filter(
            staff__role=Role.ARS_STAFF, staff__status=AccountStatus.ACTIVE, staff__is_active=True
        )
        .distinct()
        .order_by("code")
    )
    for region in regions:
        levels = selectors.stockouts_in_region(region.pk)
        count = len(levels)
        subject = _("Ruptures de masques du %(date)s en %(region)s : %(count)d") % {
            "date": clock.format_date(today),
            "region": region.name,
            "count": count,
        }
        if levels:
            lines = [
                f"- {pharmacy_label(level.pharmacy)} ({level.pharmacy.departement_id}) : "
                f"{level.product.name}" + (_(" — déclarée épuisée") if level.sold_out_at else "")
                for level in levels[:500]
            ]
            if count > 500:
                lines.append(_("… et %(more)d autres.") % {"more": count - 500})
            body = _("Officines sans masque disponible :") + "\n" + "\n".join(lines)
        else:
            body = _("Aucune officine de la région n'est en rupture.")
        users = region.staff.filter(role=Role.ARS_STAFF, status=AccountStatus.ACTIVE, is_active=True)
        rows = _staff_deliveries(
            users=users,
            key_prefix=f"stockout:{region.pk}:{today.isoformat()}",
            kind=DeliveryKind.STOCKOUT_SUMMARY,
            subject=subject,
            body=body,
            url=reverse("notifications:list"),
        )
        with transaction.atomic():
            Delivery.objects.bulk_create(rows, ignore_conflicts=True)
            ids = list(
                Delivery.objects.filter(
                    delivery_key__in=[r.delivery_key for r in rows], status=DeliveryStatus.PENDING
                ).values_list("pk", flat=True)
            )
            publish_on_commit(ids)
        created += len(ids)
    return created


def queue_option_reminders(*, now=None) -> int:
    """Hourly: tell each professional, the day before, that their option is about to expire.

    Once per option and channel (the delivery key), whatever the number of runs.
    """
    from datetime import timedelta

    from distribution.models import Reservation, ReservationStatus

    now = now or timezone.now()
    due = (
        Reservation.objects.filter(
            status=ReservationStatus.ACTIVE, expires_at__gt=now, expires_at__lte=now + timedelta(days=1)
        )
        .select_related("pharmacy", "product")
        .order_by("expires_at", "pk")
    )
    created = 0
    for reservation in due.iterator(chunk_size=500):
        recipients = selectors.recipient_rows(Professional.objects.filter(pk=reservation.professional_id))
        expires = reservation.expires_at
        subject = _("Votre option de %(quantity)s expire demain") % {
            "quantity": masks(reservation.quantity, reservation.product)
        }
        body = _(
            "Votre option de %(quantity)s à %(pharmacy)s expire le %(date)s à %(time)s. "
            "Passez au comptoir avant cette heure, sinon les masques seront remis en stock."
        ) % {
            "quantity": masks(reservation.quantity, reservation.product),
            "pharmacy": pharmacy_label(reservation.pharmacy),
            "date": clock.format_date(expires),
            "time": clock.format_time(expires),
        }
        rows = [
            Delivery(
                delivery_key=f"option_reminder:{reservation.pk}:{channel}",
                kind=DeliveryKind.OPTION_REMINDER,
                channel=channel,
                professional_id=recipient["id"],
                user_id=user_id,
                address=address,
                pharmacy_id=reservation.pharmacy_id,
                subject=subject,
                body=body,
                url=reverse("notifications:list"),
                next_attempt_at=now,
                enqueued_at=now,
            )
            for recipient in recipients
            for channel, address, user_id in _channels(recipient)
        ]
        with transaction.atomic():
            inserted = Delivery.objects.bulk_create(rows, ignore_conflicts=True)
            ids = list(
                Delivery.objects.filter(
                    delivery_key__in=[r.delivery_key for r in inserted],
                    status=DeliveryStatus.PENDING,
                    created_at__gte=now,
                ).values_list("pk", flat=True)
            )
            publish_on_commit(ids)
        created += len(ids)
    return created


def queue_email(
    *,
    delivery_key: str,
    kind: str,
    address: str,
    subject: str,
    body: str,
    attachments: list[dict] | None = None,
) -> int | None:
    """Write one e-mail to an address (someone without an account) into the outbox.

    Must run inside the caller's transaction, next to the event it announces; the delivery is
    queued after commit. The key makes it once per event: None if that key already exists.
    """
    return _queue_to_address(
        delivery_key=delivery_key,
        kind=kind,
        channel=Channel.EMAIL,
        address=address,
        subject=subject[:255],
        body=body,
        attachments=attachments or [],
    )


def queue_sms(*, delivery_key: str, kind: str, address: str, text: str, url: str = "") -> int | None:
    """Write one SMS to a mobile number (someone without an account) into the outbox; as
    queue_email (the delivery sends `text`, then the absolute `url` if any)."""
    return _queue_to_address(
        delivery_key=delivery_key,
        kind=kind,
        channel=Channel.SMS,
        address=address,
        subject=text[:255],
        url=url,
    )


def _queue_to_address(*, delivery_key: str, channel: str, **fields) -> int | None:
    now = timezone.now()
    if Delivery.objects.filter(delivery_key=delivery_key).exists():
        return None
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                delivery_key=delivery_key, channel=channel, next_attempt_at=now, enqueued_at=now, **fields
            )
    except IntegrityError:
        if Delivery.objects.filter(delivery_key=delivery_key).exists():
            return None  # the same event, written a moment ago by a concurrent transaction
        raise  # a real refusal of the database (a check constraint): never hidden
    publish_on_commit([delivery.pk])
    return delivery.pk
