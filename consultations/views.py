from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def patient_home(request):
    """Public: how to book a solidarity consultation."""
    return render(request, "consultations/patient_home.html")
