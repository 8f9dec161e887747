"""Pages of the notifications app: thin — check the role, call one service or selector, render."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Role
from accounts.permissions import PHARMACIST, PROFESSIONAL, role_required, user_may_act_as
from gomask.errors import Conflict, DomainError, InvalidInput
from gomask.middleware import refuse_on_form
from notifications import selectors, services
from notifications.forms import BulletinForm, PreferencesForm
from notifications.models import ArrivalNotice, CrisisBulletin, NotificationPreference
from pharmacies.models import StockLevel
from pharmacies.selectors import pharmacies_of
from professionals.models import Profession

EVERYONE = tuple(Role.values)
PUBLISHERS = (Role.ARS_STAFF, Role.CPTS_COORDINATOR, Role.ADMIN)


@role_required(*EVERYONE)
def notification_list(request):
    """Every signed-in, validated user: their in-portal notifications, newest first, paginated."""
    page = Paginator(selectors.notifications_of(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@require_POST
@role_required(*EVERYONE)
def open_notification(request, notification_id: int):
    """The recipient only: marks the notification read and follows its link (others: 404)."""
    notification = services.mark_read(user=request.user, notification_id=notification_id)
    target = notification.url or reverse("notifications:list")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("notifications:list")
    return redirect(target)


@require_POST
@role_required(*EVERYONE)
def mark_all_read(request):
    """Every signed-in user: marks all their notifications read."""
    count = services.mark_all_read(user=request.user)
    messages.success(request, _("%(count)d notification(s) marquée(s) comme lue(s).") % {"count": count})
    return redirect("notifications:list")


@role_required(*PROFESSIONAL)
def preferences(request):
    """Professionals: choose the channels of their notifications."""
    professional = request.user.professional
    preference = NotificationPreference.objects.filter(professional=professional).first()
    initial = {"email": True, "sms": False, "portal": True}
    if preference:
        initial = {"email": preference.email, "sms": preference.sms, "portal": preference.portal}
    form = PreferencesForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.set_preferences(professional=professional, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            status = exc.status
        else:
            messages.success(request, _("Vos préférences de notification sont enregistrées."))
            return redirect("notifications:preferences")
    elif request.method == "POST":
        status = 400
    return render(
        request, "notifications/preferences.html", {"form": form, "professional": professional}, status=status
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """Anyone holding the signed link (no login): GET asks for the one click, POST unsubscribes.

    CSRF-exempt on purpose: mail clients post RFC 8058 one-click requests without a
    session; the salted signature is the credential. A tampered or unknown token: 400.
    """
    from notifications.tokens import read_unsubscribe_token

    if request.method == "GET":
        try:
            read_unsubscribe_token(token)
        except Exception:  # noqa: BLE001 - any unreadable token gets the same refusal
            return _unsubscribe_refused(
                request, _("Ce lien de désabonnement n'est pas valide ou a été modifié.")
            )
        return render(request, "notifications/unsubscribe.html", {"token": token})
    try:
        professional, channel = services.unsubscribe(token=token)
    except DomainError as exc:
        return _unsubscribe_refused(request, exc.message)
    return render(
        request, "notifications/unsubscribed.html", {"professional": professional, "channel": channel}
    )


def _unsubscribe_refused(request, message):
    return render(request, "notifications/unsubscribe_refused.html", {"message": message}, status=400)


def reserve_url(notice: ArrivalNotice) -> str | None:
    """The reservation page of the distribution app for this pharmacy and product, if it exists."""
    try:
        base = reverse("distribution:reserve")
    except NoReverseMatch:
        return None
    return f"{base}?{urlencode({'pharmacy': notice.pharmacy_id, 'product': notice.product.code})}"


@role_required(*PROFESSIONAL)
def arrival(request, notice_id: int):
    """Professionals: an arrival of masks (from a notification) with the stock available now."""
    notice = ArrivalNotice.objects.select_related("pharmacy__commune", "product").filter(pk=notice_id).first()
    if notice is None:
        raise Http404(_("Arrivée introuvable."))
    level = StockLevel.objects.filter(pharmacy_id=notice.pharmacy_id, product_id=notice.product_id).first()
    return render(
        request,
        "notifications/arrival.html",
        {"notice": notice, "level": level, "reserve_url": reserve_url(notice)},
    )


@role_required(*PHARMACIST)
def call_arrivals(request):
    """Pharmacists: the arrivals of their own pharmacies, each with its call list."""
    pharmacies = list(pharmacies_of(request.user))
    notices = ArrivalNotice.objects.filter(pharmacy__in=pharmacies).select_related("pharmacy", "product")
    page = Paginator(notices.order_by("-created_at", "-id"), 20).get_page(request.GET.get("page"))
    return render(request, "notifications/calls.html", {"page": page, "pharmacies": pharmacies})


@role_required(*PHARMACIST)
def call_list(request, notice_id: int):
    """Pharmacists of that pharmacy only: referenced professionals to phone after an arrival."""
    notice = selectors.notice_for_member(request.user, notice_id)
    rows = selectors.call_list(notice)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    reached = sum(1 for row in rows if row["mark"])
    return render(
        request,
        "notifications/call_list.html",
        {"notice": notice, "page": page, "reached": reached, "total": len(rows)},
    )


@require_POST
@role_required(*PHARMACIST)
def mark_reached(request, notice_id: int, professional_id: int):
    """Pharmacists of that pharmacy only: tick (or untick) a professional reached by phone."""
    reached = request.POST.get("reached") != "0"
    try:
        services.mark_reached(
            actor=request.user, notice_id=notice_id, professional_id=professional_id, reached=reached
        )
    except (InvalidInput, Conflict) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Appel noté.") if reached else _("Appel retiré de la liste des joints."))
    return redirect(
        reverse("notifications:call_list", args=[notice_id]) + f"?page={request.POST.get('page', 1)}"
    )


@role_required(*(PUBLISHERS + PROFESSIONAL))
def bulletin_list(request):
    """Professionals: bulletins addressed to them. ARS / CPTS / admin: the bulletins they manage."""
    if request.user.role == Role.PROFESSIONAL:
        bulletins = selectors.bulletins_for_professional(request.user.professional)
    else:
        bulletins = selectors.bulletins_published_for(request.user)
    page = Paginator(bulletins, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/bulletins.html",
        {"page": page, "may_publish": request.user.role in PUBLISHERS},
    )


def _scope_arguments(data: dict) -> dict:
    return {
        "region_code": data.get("region") or None,
        "departement_codes": data.get("departements") or (),
        "epci_codes": data.get("epcis") or (),
        "professions": data.get("professions") or (),
    }


def _sent_message(bulletin, counts: dict) -> str:
    return _(
        "Bulletin « %(title)s » publié : envoi en cours à %(professionals)d professionnel(s) — "
        "%(email)d e-mail(s), %(sms)d SMS, %(portal)d notification(s) dans le portail."
    ) % {"title": bulletin.title, **counts}


@role_required(*PUBLISHERS)
def publish_bulletin(request):
    """ARS staff (their region), CPTS coordinators (their territory), administrators: publish a bulletin.

    Two steps: the form posts to a preview (the bulletin as it will read, and how many
    professionals and messages per channel it will reach); only "Confirmer l'envoi" publishes.
    """
    form = BulletinForm(request.POST or None, user=request.user)
    if request.method != "POST":
        return render(request, "notifications/bulletin_form.html", {"form": form})
    if not form.is_valid():
        return render(request, "notifications/bulletin_form.html", {"form": form}, status=400)
    if "edit" in request.POST:
        return render(request, "notifications/bulletin_form.html", {"form": form})
    data = form.cleaned_data
    try:
        if "confirm" in request.POST:
            # The form's one-time key: a second click on "Confirmer l'envoi" replays the first
            # bulletin (same confirmation), the same key with another bulletin is 409.
            done = services.publish_bulletin.once(
                idempotency_key=data.get("form_token"),
                author=request.user,
                title=data["title"],
                body=data["body"],
                severity=data["severity"],
                is_public=data["is_public"],
                **_scope_arguments(data),
            )
        else:
            scope = services.bulletin_scope(author=request.user, **_scope_arguments(data))
    except DomainError as exc:
        status = refuse_on_form(form, exc)
        return render(request, "notifications/bulletin_form.html", {"form": form}, status=status)
    if "confirm" in request.POST:
        bulletin = done.value
        counts = selectors.recipient_counts(selectors.bulletin_recipients(bulletin))
        messages.success(request, _sent_message(bulletin, counts))
        return redirect("notifications:bulletin_detail", bulletin_id=bulletin.pk)
    preview = CrisisBulletin(title=data["title"], body=data["body"], severity=data["severity"])
    return render(
        request,
        "notifications/bulletin_preview.html",
        {
            "form": form,
            "preview": preview,
            "scope": scope,
            "counts": selectors.recipient_counts(scope.recipients()),
            "is_public": data["is_public"],
            "professions": [Profession(code).label for code in scope.professions],
        },
    )


def bulletin_detail(request, bulletin_id: int):
    """A public bulletin: anyone. Otherwise: its targeted professionals and the publishers in
    scope (the gate `selectors.bulletin_for_reader`; anyone else: 404)."""
    bulletin = selectors.bulletin_for_reader(request.user, bulletin_id)
    return render(
        request,
        "notifications/bulletin_detail.html",
        {
            "bulletin": bulletin,
            "may_acknowledge": selectors.addressed_professional(request.user, bulletin) is not None,
            # A public bulletin reaches patients too (orientation page): only readers of the list
            # get the link to it.
            "may_list": user_may_act_as(request.user, PUBLISHERS + PROFESSIONAL),
        },
    )
