from django.shortcuts import render

from accounts.permissions import PROFESSIONAL, role_required


@role_required(*PROFESSIONAL)
def home(request):
    """Health professionals: their identity as the portal knows it."""
    return render(request, "professionals/home.html", {"professional": request.user.professional})
