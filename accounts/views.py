from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.models import Role
from accounts.permissions import role_required
from gomask.errors import DomainError

LANDING_BY_ROLE = {
    Role.PHARMACIST: "pharmacies:home",
    Role.PROFESSIONAL: "professionals:home",
    Role.ARS_STAFF: "distribution:ars_home",
    Role.CPTS_COORDINATOR: "notifications:bulletins",
    Role.PATIENT: "consultations:patient_home",
    Role.ADMIN: "accounts:pending_accounts",
}


@login_required
def landing(request):
    """Any logged-in account: sends each role to its own home page."""
    if not request.user.is_approved:
        return render(request, "accounts/pending.html", {"suspended": request.user.status == "suspended"})
    return redirect(LANDING_BY_ROLE.get(request.user.role, "home"))


@role_required(Role.ADMIN)
def pending_accounts(request):
    """Administrators: accounts waiting for validation."""
    page = Paginator(selectors.pending_accounts(), 25).get_page(request.GET.get("page"))
    return render(request, "accounts/pending_accounts.html", {"page": page})


@require_POST
@role_required(Role.ADMIN)
def approve_account(request, user_id: int):
    """Administrators: validate one pending account."""
    try:
        user = services.approve_account(approver=request.user, user_id=user_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Le compte de %(user)s est validé.") % {"user": user})
    return redirect("accounts:pending_accounts")
