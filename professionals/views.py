from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.permissions import PROFESSIONAL, role_required
from gomask.errors import DomainError, InvalidInput
from pharmacies.selectors import nearest_pharmacies
from professionals import forms, selectors, services

REFERENCING_CHOICES = 15


def _professional(request):
    professional = selectors.professional_of(request.user)
    if professional is None:
        raise PermissionDenied(_("Votre compte n'est lié à aucun professionnel de santé."))
    return professional


@role_required(*PROFESSIONAL)
def home(request):
    """Health professionals: their identity as the portal knows it and their home pharmacy."""
    professional = _professional(request)
    return render(
        request,
        "professionals/home.html",
        {"professional": professional, "referencing": selectors.current_referencing(professional)},
    )


@role_required(*PROFESSIONAL)
def reference(request):
    """Health professionals: choose (or change) their home pharmacy among those near their practice."""
    professional = _professional(request)
    status = 200
    if request.method == "POST":
        form = forms.ReferencingForm(request.POST)
        try:
            if not form.is_valid():
                raise InvalidInput(_("Choisissez une officine dans la liste."), code="invalid")
            referencing = services.reference_at_pharmacy(
                actor=request.user, pharmacy_id=form.cleaned_data["pharmacy"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(
                request,
                _(
                    "%(pharmacy)s est désormais votre officine de référence : "
                    "elle vous appellera à l'arrivée des masques."
                )
                % {"pharmacy": referencing.pharmacy.name},
            )
            return redirect("professionals:home")
    choices = nearest_pharmacies(
        latitude=professional.latitude,
        longitude=professional.longitude,
        radius_km=services.REFERENCING_MAX_KM,
        limit=REFERENCING_CHOICES,
    )
    context = {
        "professional": professional,
        "referencing": selectors.current_referencing(professional),
        "choices": choices,
        "max_km": services.REFERENCING_MAX_KM,
    }
    return render(request, "professionals/reference.html", context, status=status)
