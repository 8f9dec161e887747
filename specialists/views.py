"""Pages of the second-line specialists: thin, one service or selector call each.

Who may use them: professionals (requesters: médecins, infirmiers, sages-femmes; specialists:
médecins with a specialty of specialties.py); the figures: ARS staff, CPTS coordinators and
administrators. A request is shown to its requester and accepting specialist only (content,
logged), to a specialist it is offered to (metadata only), to nobody else (404).
"""

from urllib.parse import quote

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Role
from accounts.permissions import PROFESSIONAL, role_required
from gomask.errors import DomainError
from gomask.middleware import refuse_on_form
from specialists import selectors, services
from specialists.forms import AnswerForm, ProfileForm, RequestForm

COORDINATORS = (Role.ARS_STAFF, Role.CPTS_COORDINATOR, Role.ADMIN)


@role_required(*PROFESSIONAL)
def home(request):
    professional = getattr(request.user, "professional", None)
    profile = selectors.profile_of(professional) if professional else None
    return render(
        request,
        "specialists/home.html",
        {
            "may_request": services.may_request(professional),
            "may_be_specialist": services.may_be_specialist(professional),
            "profile": profile,
            "sent": selectors.sent_by(professional) if professional else [],
            "offers": selectors.offers_for(profile),
            "accepted": selectors.accepted_by(professional) if professional else [],
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(*PROFESSIONAL)
def profile(request):
    """Specialists opt in or out, with their radius and response commitment."""
    professional = getattr(request.user, "professional", None)
    current = selectors.profile_of(professional) if professional else None
    eligible = services.may_be_specialist(professional)
    status = 200
    if request.method == "POST" and eligible:
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                services.save_profile(user=request.user, **form.cleaned_data)
            except DomainError as exc:
                status = refuse_on_form(form, exc)
            else:
                if form.cleaned_data["is_active"]:
                    messages.success(
                        request, _("Vous recevez désormais les demandes d'avis de votre secteur.")
                    )
                else:
                    messages.success(request, _("Vous ne recevez plus de demandes d'avis."))
                return redirect("specialists:home")
        else:
            status = 400
    else:
        initial = (
            {
                "is_active": current.is_active,
                "radius_km": current.radius_km,
                "response_hours": current.response_hours,
            }
            if current
            else {"is_active": True}
        )
        form = ProfileForm(initial=initial)
    return render(
        request,
        "specialists/profile.html",
        {"form": form, "eligible": eligible, "profile": current, "professional": professional},
        status=status if eligible or request.method == "GET" else 403,
    )


@require_http_methods(["GET", "POST"])
@role_required(*PROFESSIONAL)
def new_request(request):
    professional = getattr(request.user, "professional", None)
    allowed = services.may_request(professional)
    status = 200 if allowed else 403
    if request.method == "POST" and allowed:
        form = RequestForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                data = form.cleaned_data
                advice = services.send_request(
                    user=request.user,
                    specialty=data["specialty"],
                    urgency=data["urgency"],
                    question=data["question"],
                    files=data["attachments"],
                )
            except DomainError as exc:
                status = refuse_on_form(form, exc)
            else:
                messages.success(
                    request, _("Votre demande d'avis est envoyée aux spécialistes de votre secteur.")
                )
                return redirect("specialists:request_detail", advice.pk)
        else:
            status = 400
    else:
        form = RequestForm()
    return render(request, "specialists/new_request.html", {"form": form, "allowed": allowed}, status=status)


@role_required(*PROFESSIONAL)
def request_detail(request, request_id):
    advice, content = services.request_for(user=request.user, request_id=request_id)
    professional = request.user.professional
    return render(
        request,
        "specialists/request_detail.html",
        {
            "advice": advice,
            "content": content,
            "is_requester": advice.requester_id == professional.pk,
            "is_owner": advice.accepted_by_id == professional.pk,
            "answer_form": AnswerForm(),
        },
    )


@require_POST
@role_required(*PROFESSIONAL)
def accept(request, request_id):
    services.accept_request(user=request.user, request_id=request_id)
    messages.success(request, _("Vous avez accepté cette demande : vous seul pouvez y répondre."))
    return redirect("specialists:request_detail", request_id)


@require_POST
@role_required(*PROFESSIONAL)
def answer(request, request_id):
    form = AnswerForm(request.POST)
    if form.is_valid():
        services.answer_request(user=request.user, request_id=request_id, answer=form.cleaned_data["answer"])
        messages.success(request, _("Votre avis est envoyé au demandeur."))
    else:
        # Only the accepting specialist learns the form was wrong; anyone else gets 404.
        services.ensure_owner(user=request.user, request_id=request_id)
        messages.error(request, _("Écrivez votre avis avant de l'envoyer."))
    return redirect("specialists:request_detail", request_id)


@role_required(*PROFESSIONAL)
def attachment(request, request_id, attachment_id):
    name, content_type, data = services.attachment_for(
        user=request.user, request_id=request_id, attachment_id=attachment_id
    )
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    response["Cache-Control"] = "no-store"
    return response


@role_required(*COORDINATORS)
def figures(request):
    return render(request, "specialists/figures.html", {"figures": selectors.figures(request.user)})
