"""Planning pages. Thin: parse input, check who may, call a selector or a service, render."""

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Role
from accounts.permissions import ARS, PHARMACIST, role_required
from distribution.models import ShipmentSource
from gomask.clock import local_date
from gomask.errors import DomainError, InvalidInput
from gomask.middleware import refuse_on_form
from pharmacies.selectors import active_product, pharmacies_of, pharmacy_for_member
from planning import allocation, selectors, services
from planning.forecast import MIN_COVER_DAYS
from planning.forms import AllocationForm, AtRiskFilterForm, SimulationForm
from professionals.models import Profession

READERS = (*ARS, Role.CPTS_COORDINATOR)
PAGE_SIZE = 50


@require_GET
@role_required(*READERS)
def at_risk(request):
    """Pharmacies at risk of a stock-out: ARS staff of the region, administrators (any region),
    CPTS coordinators (their territory, read-only); by département, EPCI and product."""
    form = AtRiskFilterForm(request.GET or None, user=request.user)
    if request.GET and not form.is_valid():
        return render(request, "planning/at_risk.html", {"form": form, "page": None}, status=400)
    filters = form.filters() if request.GET else {"departement": None, "epci": None, "product": None}
    region_code = form.region_code if request.GET else (request.user.region_id or "76")
    rows = selectors.at_risk(selectors.forecasts_in_scope(request.user, region_code=region_code), **filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "min_cover": MIN_COVER_DAYS,
        "computed_on": selectors.last_computed_on(region_code),
        "may_decide": request.user.role in ARS,
    }
    return render(request, "planning/at_risk.html", context)


@require_GET
@role_required(*ARS)
def proposals(request):
    region_code = request.user.region_id or request.GET.get("region") or "76"
    if request.user.role != Role.ADMIN:
        region_code = request.user.region_id
    rows = selectors.region_proposals(region_code)
    context = {"proposals": rows, "sources": ShipmentSource.choices, "min_cover": MIN_COVER_DAYS}
    return render(request, "planning/proposals.html", context)


@require_POST
@role_required(*ARS)
def proposal_accept(request, proposal_id: int):
    source = request.POST.get("source") or ShipmentSource.NATIONAL
    if source not in ShipmentSource.values:
        raise InvalidInput(_("Origine du stock inconnue."), code="invalid_source")
    proposal = services.accept_proposal(actor=request.user, proposal_id=proposal_id, source=source)
    if proposal.shipment_id:
        messages.success(request, _("Envoi du stock régional enregistré."))
    else:
        messages.success(request, _("Transfert accepté : l'officine expéditrice est invitée à l'envoyer."))
    return redirect("planning:proposals")


@require_POST
@role_required(*ARS)
def proposal_dismiss(request, proposal_id: int):
    services.dismiss_proposal(actor=request.user, proposal_id=proposal_id)
    messages.info(request, _("Proposition écartée."))
    return redirect("planning:proposals")


@require_GET
@role_required(*PHARMACIST)
def pharmacy_forecast(request, pharmacy_id: int):
    """Pharmacists of this officine: days of cover per product and the transfers asked of them."""
    pharmacy = pharmacy_for_member(request.user, pharmacy_id)
    context = {
        "pharmacy": pharmacy,
        "my_pharmacies": pharmacies_of(request.user),
        "section": "forecast",
        "section_url": "planning:pharmacy_forecast",
        "forecasts": selectors.pharmacy_forecasts(pharmacy),
        "to_send": selectors.proposals_to_send(pharmacy),
        "min_cover": MIN_COVER_DAYS,
    }
    return render(request, "planning/pharmacy_forecast.html", context)


@require_POST
@role_required(*PHARMACIST)
def transfer_send(request, pharmacy_id: int, proposal_id: int):
    pharmacy = pharmacy_for_member(request.user, pharmacy_id)
    proposal = services.carry_out_transfer(actor=request.user, proposal_id=proposal_id)
    messages.success(
        request, _("Transfert de %(quantity)s masques envoyé.") % {"quantity": proposal.quantity}
    )
    return redirect("planning:pharmacy_forecast", pharmacy_id=pharmacy.pk)


@role_required(*ARS)
def allocate(request):
    """A regional lot: the split by need (GET), then the agent's adjusted split confirmed (POST)."""
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = AllocationForm(data, user=request.user)
    context = {"form": form, "recipients": None, "days": allocation.ALLOCATION_DAYS}
    if data is None:
        return render(request, "planning/allocate.html", context)
    if not form.is_valid():
        return render(request, "planning/allocate.html", context, status=400)
    product = active_product(form.cleaned_data["product"])
    recipients = allocation.propose_split(
        region_code=form.region_code, product=product, quantity=form.cleaned_data["quantity"]
    )
    context.update(recipients=recipients, total_need=sum(r.need for r in recipients), product=product)
    if request.method == "POST":
        lines = {key[len("line-") :]: value for key, value in request.POST.items() if key.startswith("line-")}
        try:
            shipments = services.confirm_allocation(
                actor=request.user,
                product_code=product.code,
                source=form.cleaned_data["source"],
                lines=lines,
                form_token=request.POST.get("form_token") or None,
            )
        except DomainError as error:
            status = refuse_on_form(form, error)
            context["form_token"] = request.POST.get("form_token", "")
            for recipient in recipients:
                recipient.proposed = request.POST.get(f"line-{recipient.key}", recipient.proposed)
            return render(request, "planning/allocate.html", context, status=status)
        messages.success(request, _("%(count)s envois enregistrés.") % {"count": len(shipments)})
        return redirect("distribution:shipments")
    context["form_token"] = uuid.uuid4()
    return render(request, "planning/allocate.html", context)


@role_required(*ARS)
def simulator(request):
    """A draft quota policy applied to the last weeks, per EPCI, next to the policy in force.
    Publishing (POST) goes through the versioned policies; simulating writes nothing."""
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = SimulationForm(data, user=request.user)
    context = {"form": form, "rows": None, "professions": Profession.choices}
    if data is None:
        return render(request, "planning/simulator.html", context)
    if not form.is_valid():
        return render(request, "planning/simulator.html", context, status=400)
    product = active_product(form.cleaned_data["product"])
    weeks = selectors.simulation_weeks(local_date(), form.cleaned_data["weeks"])
    inputs = selectors.simulation_inputs(region_code=form.region_code, product=product, weeks=weeks)
    in_force = selectors.quota_table(local_date(), region_code=form.region_code, product_id=product.pk)
    draft = form.draft()
    if request.method == "POST":
        try:
            policies = services.publish_policy(
                actor=request.user,
                product_code=product.code,
                quantities=draft,
                in_force=in_force,
                effective_from=form.effective_from_or_today(),
                region_code=form.region_code,
            )
        except DomainError as error:
            status = refuse_on_form(form, error)
        else:
            messages.success(request, _("%(count)s versions de quota publiées.") % {"count": len(policies)})
            return redirect("distribution:quota_policies")
    else:
        status = 200
    context.update(
        rows=selectors.simulation_rows(inputs, draft=draft, in_force=in_force),
        weeks=weeks,
        product=product,
        quota_lines=[
            (label, in_force[code], draft[code] if draft[code] is not None else in_force[code])
            for code, label in Profession.choices
        ],
    )
    return render(request, "planning/simulator.html", context, status=status)
