from django.shortcuts import render

from accounts.permissions import ARS, role_required


@role_required(*ARS)
def ars_home(request):
    """ARS staff (their region) and national administrators."""
    return render(request, "distribution/ars_home.html", {"region": request.user.region})
