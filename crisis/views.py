"""Pages of the crisis console: thin — check the role, call one service or selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Role
from accounts.permissions import PROFESSIONAL, role_required
from crisis import selectors, services
from crisis.forms import (
    ActivationBulletinForm,
    ActivationForm,
    AvailabilityForm,
    CensusFilterForm,
    DecisionForm,
    RequestForm,
    SiteRequestForm,
)
from gomask.errors import Conflict, DomainError, InvalidInput, NotFound
from gomask.middleware import refuse_on_form

MANAGERS = selectors.MANAGER_ROLES


@role_required(*(MANAGERS + PROFESSIONAL))
def home(request):
    """Managers (CPTS coordinator, ARS, admin): the activations of their scope. Professionals: the
    activations covering where they practise, their availability and the requests they were asked."""
    if request.user.role == Role.PROFESSIONAL:
        professional = request.user.professional
        return render(
            request,
            "crisis/professional.html",
            {
                "activations": selectors.open_activations_for_professional(professional),
                "calls": selectors.calls_for(professional)[:50],
            },
        )
    return render(
        request,
        "crisis/activations.html",
        {"activations": selectors.activations_for(request.user)[:100]},
    )


@role_required(*MANAGERS)
def activate(request):
    """Managers: activate the crisis plan (or a drill) on a CPTS territory of their scope."""
    territories = list(selectors.territories_for(request.user))
    form = ActivationForm(request.POST or None, territories=territories)
    if request.method != "POST":
        return render(request, "crisis/activate.html", {"form": form})
    if not form.is_valid():
        return render(request, "crisis/activate.html", {"form": form}, status=400)
    data = form.cleaned_data
    try:
        activation = services.activate(
            actor=request.user,
            territory_id=data["territory"] or None,
            level=data["level"],
            track=data["track"],
            summary=data["summary"],
            is_drill=data["is_drill"],
        )
    except DomainError as exc:
        status = refuse_on_form(form, exc)
        return render(request, "crisis/activate.html", {"form": form}, status=status)
    messages.success(request, _("Plan de crise activé."))
    return redirect("crisis:console", activation_id=activation.pk)


@role_required(*MANAGERS)
def console(request, activation_id: int):
    """Managers of the territory: the console (reach and acknowledgements, the log, requests)."""
    activation = selectors.activation_for(request.user, activation_id)
    return render(
        request,
        "crisis/console.html",
        {
            "activation": activation,
            "figures": selectors.console_figures(activation),
            "decisions": activation.decisions.select_related("author").order_by("-recorded_at", "-id"),
            "requests": selectors.requests_of(activation),
            "decision_form": DecisionForm(),
        },
    )


@role_required(*MANAGERS)
def console_data(request, activation_id: int):
    """Managers of the territory: the console's figures as JSON (polled every 30 s)."""
    activation = selectors.activation_for(request.user, activation_id)
    return JsonResponse(selectors.console_json(activation))


@require_POST
@role_required(*MANAGERS)
def record_decision(request, activation_id: int):
    """Managers of the territory: append a decision to the log."""
    form = DecisionForm(request.POST)
    if not form.is_valid():
        raise InvalidInput(_("La décision ne peut pas être vide (2 000 caractères au plus)."), field="text")
    services.record_decision(actor=request.user, activation_id=activation_id, text=form.cleaned_data["text"])
    messages.success(request, _("Décision ajoutée au journal."))
    return redirect("crisis:console", activation_id=activation_id)


@require_POST
@role_required(*MANAGERS)
def end_activation(request, activation_id: int):
    """Managers of the territory: close the activation."""
    services.end_activation(actor=request.user, activation_id=activation_id)
    messages.success(request, _("Activation close."))
    return redirect("crisis:console", activation_id=activation_id)


@role_required(*MANAGERS)
def publish_bulletin(request, activation_id: int):
    """Managers of the territory: publish a bulletin to the professionals of the territory."""
    activation = selectors.activation_for(request.user, activation_id)
    form = ActivationBulletinForm(request.POST or None)
    context = {"form": form, "activation": activation}
    if request.method != "POST":
        return render(request, "crisis/bulletin_form.html", context)
    if not form.is_valid():
        return render(request, "crisis/bulletin_form.html", context, status=400)
    data = form.cleaned_data
    try:
        services.publish_activation_bulletin(
            actor=request.user,
            activation_id=activation.pk,
            title=data["title"],
            body=data["body"],
            severity=data["severity"],
            professions=data["professions"],
        )
    except DomainError as exc:
        status = refuse_on_form(form, exc)
        return render(request, "crisis/bulletin_form.html", context, status=status)
    messages.success(request, _("Bulletin publié : envoi en cours aux professionnels du territoire."))
    return redirect("crisis:console", activation_id=activation.pk)


@role_required(*MANAGERS)
def census(request, activation_id: int):
    """Managers of the territory: who declared themselves available, filtered."""
    activation = selectors.activation_for(request.user, activation_id)
    form = CensusFilterForm(request.GET or None)
    filters = {}
    status = 200
    if request.GET:
        if form.is_valid():
            filters = {
                "profession": form.cleaned_data["profession"],
                "commune": form.cleaned_data["commune"],
                "at": form.cleaned_data["at"],
            }
        else:
            status = 400
    rows = selectors.census(activation, **filters) if status == 200 else []
    return render(
        request, "crisis/census.html", {"activation": activation, "form": form, "rows": rows}, status=status
    )


@role_required(*MANAGERS)
def post_request(request, activation_id: int):
    """Managers of the territory: post a need for reinforcement."""
    activation = selectors.activation_for(request.user, activation_id)
    form = RequestForm(request.POST or None)
    context = {"form": form, "activation": activation}
    if request.method != "POST":
        return render(request, "crisis/request_form.html", context)
    if not form.is_valid():
        return render(request, "crisis/request_form.html", context, status=400)
    try:
        reinforcement = services.post_request.once(
            actor=request.user, activation_id=activation.pk, **_need(form.cleaned_data)
        ).value
    except DomainError as exc:
        context["form"] = form = _asking_confirmation(form, exc)
        status = refuse_on_form(form, exc)
        return render(request, "crisis/request_form.html", context, status=status)
    _request_posted(request, reinforcement)
    return redirect("crisis:console", activation_id=activation.pk)


def _need(data) -> dict:
    """The request form's values for post_request: a copy of a request still open is posted
    only once confirmed (the form sent again after Back, when the browser fetched it anew)."""
    need = dict(data)
    need["refuse_duplicate"] = not need.pop("confirm_duplicate")
    return need


def _asking_confirmation(form, error):
    """After a PossibleDuplicate refusal, the same form again with the confirmation box."""
    if not isinstance(error, services.PossibleDuplicate):
        return form
    form = type(form)(form.data, ask_confirmation=True)
    form.is_valid()
    return form


def _request_posted(request, reinforcement) -> None:
    """The same confirmation for a request and for its repeat (a double click, Back)."""
    messages.success(
        request,
        _("Demande de renfort publiée : %(asked)d professionnel(s) disponible(s) sollicité(s).")
        % {"asked": reinforcement.calls.count()},
    )


@require_http_methods(["GET", "POST"])
@login_required
def post_site_request(request, site_id: int):
    """The manager of a care site (the account named on the site, whatever its role): post a need
    for reinforcement at their own site, under the open activation covering it (the same service
    as the coordinators'); any other site: 404."""
    site = selectors.managed_site(request.user, site_id)
    activation = selectors.site_activation(site)
    form = SiteRequestForm(request.POST or None)
    context = {"form": form, "site": site, "activation": activation}
    if request.method != "POST":
        return render(request, "crisis/site_request_form.html", context)
    if not form.is_valid():
        return render(request, "crisis/site_request_form.html", context, status=400)
    try:
        reinforcement = services.post_request.once(
            actor=request.user, site_id=site.pk, **_need(form.cleaned_data)
        ).value
    except DomainError as exc:
        context["form"] = form = _asking_confirmation(form, exc)
        status = refuse_on_form(form, exc)
        return render(request, "crisis/site_request_form.html", context, status=status)
    _request_posted(request, reinforcement)
    return redirect("referrals:site_status", site_id=site.pk)


@role_required(*MANAGERS)
def report(request, activation_id: int):
    """Managers of the territory: reach and response times (the drill report)."""
    activation = selectors.activation_for(request.user, activation_id)
    return render(
        request,
        "crisis/report.html",
        {"activation": activation, "report": selectors.drill_report(activation)},
    )


@role_required(*PROFESSIONAL)
def declare_availability(request, activation_id: int):
    """Professionals of the activated territory: declare when they can reinforce."""
    activation = next(
        (
            a
            for a in selectors.open_activations_for_professional(request.user.professional)
            if a.pk == activation_id
        ),
        None,
    )
    if activation is None:
        raise NotFound(_("Aucune activation en cours sur votre territoire."))
    form = AvailabilityForm(request.POST or None)
    context = {"form": form, "activation": activation}
    if request.method != "POST":
        return render(request, "crisis/availability_form.html", context)
    if not form.is_valid():
        return render(request, "crisis/availability_form.html", context, status=400)
    try:
        services.declare_availability(user=request.user, activation_id=activation.pk, **form.cleaned_data)
    except DomainError as exc:
        status = refuse_on_form(form, exc)
        return render(request, "crisis/availability_form.html", context, status=status)
    messages.success(request, _("Merci : votre disponibilité est enregistrée."))
    return redirect("crisis:home")


@role_required(*PROFESSIONAL)
def request_detail(request, request_id: int):
    """Professionals asked for this request: the need, and the button to accept it."""
    reinforcement = selectors.request_for_professional(request.user.professional, request_id)
    mine = reinforcement.acceptances.filter(professional=request.user.professional).first()
    return render(request, "crisis/request_detail.html", {"reinforcement": reinforcement, "mine": mine})


@require_POST
@role_required(*PROFESSIONAL)
def accept_request(request, request_id: int):
    """Professionals asked for this request: accept it (the first ones win)."""
    try:
        services.accept_request(user=request.user, request_id=request_id)
    except (InvalidInput, Conflict) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("C'est noté : vous êtes attendu(e) sur place. Merci !"))
    return redirect("crisis:request", request_id=request_id)


@require_http_methods(["GET", "HEAD", "POST"])
def acknowledge(request, token: str):
    """Anyone holding the signed link (e-mail, SMS, portal notification): take the bulletin into
    account in one click. Opening the link (GET or HEAD) writes nothing, so a mail scanner that
    fetches it acknowledges nothing; the page then sends its own form from a visible tab
    (static/js/crisis/acknowledge.js), with the button as the fallback without JavaScript. The
    POST answers with a redirect to the same address (a reload sends nothing again), which shows
    the time of the acknowledgement; a repeated POST is 409 with the time of the first."""
    bulletin, professional, _channel = services.acknowledgement_from_token(token)
    if request.method == "POST":
        try:
            services.acknowledge(token=token)
        except services.AlreadyAcknowledged as exc:
            messages.info(request, exc.message)
            status = 409
        else:
            messages.success(request, _("Merci : le bulletin est pris en compte."))
            return redirect("crisis:acknowledge", token=token)
    else:
        status = 200
    return render(
        request,
        "crisis/acknowledge.html",
        {
            "bulletin": bulletin,
            "professional": professional,
            "done": selectors.acknowledgement_of(bulletin.pk, professional.pk),
        },
        status=status,
    )


@require_POST
@role_required(*PROFESSIONAL)
def acknowledge_in_portal(request, bulletin_id: int):
    """Professionals the bulletin is addressed to: take it into account from the portal."""
    try:
        services.acknowledge_in_portal(user=request.user, bulletin_id=bulletin_id)
    except services.AlreadyAcknowledged as exc:
        messages.info(request, exc.message)
    else:
        messages.success(request, _("Merci : le bulletin est pris en compte."))
    return redirect("notifications:bulletin_detail", bulletin_id=bulletin_id)
