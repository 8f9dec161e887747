from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from opendata import feeds
from opendata.selectors import PUBLISHED_BANDS


@require_GET
def documentation(request):
    """Open to everyone: what the open-data feeds publish, how, and under which licence."""
    return render(
        request,
        "opendata/documentation.html",
        {
            "licence": feeds.LICENCE,
            "bands": PUBLISHED_BANDS,
            "refresh_seconds": settings.OPENDATA_REFRESH_SECONDS,
            "example_url": reverse("opendata:pharmacies") + "?departement=32&product=ffp2&format=geojson",
        },
    )
