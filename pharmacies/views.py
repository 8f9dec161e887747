from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import PHARMACIST, role_required
from gomask.errors import DomainError
from pharmacies import selectors, services


@role_required(*PHARMACIST)
def home(request):
    """Pharmacists: the officines they act for, and staff awaiting their approval."""
    return render(
        request,
        "pharmacies/home.html",
        {
            "pharmacies": selectors.pharmacies_of(request.user),
            "pending_staff": selectors.pending_memberships_for_owner(request.user),
        },
    )


@require_POST
@role_required(*PHARMACIST)
def approve_staff(request, membership_id: int):
    """Titulaires: let a pharmacist act for their officine."""
    try:
        membership = services.approve_membership(approver=request.user, membership_id=membership_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(user)s peut désormais agir pour %(pharmacy)s.")
            % {"user": membership.user, "pharmacy": membership.pharmacy.name},
        )
    return redirect("pharmacies:home")
