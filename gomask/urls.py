from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from gomask import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accessibilite/", views.accessibility_statement, name="accessibility"),
    # Liveness (the process answers) and readiness (database, broker, cache); /healthz is
    # kept as the readiness check for load balancers configured before the split.
    path("healthz", views.readiness, name="healthz"),
    path("healthz/live", views.liveness, name="liveness"),
    path("healthz/ready", views.readiness, name="readiness"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("compte/", include("accounts.urls")),
    path("officine/", include("pharmacies.urls")),
    path("professionnel/", include("professionals.urls")),
    path("ars/tableau-de-bord/", include("dashboards.urls")),
    path("observatoire/", include("observatory.urls")),
    # Distribution pages under /ars/, /officine/ and /professionnel/ (see distribution/urls.py).
    path("", include("distribution.urls")),
    # Planning pages under /ars/anticipation/ and /officine/<id>/prevision/ (see planning/urls.py).
    path("", include("planning.urls")),
    path("consultations/", include("consultations.urls")),
    path("notifications/", include("notifications.urls")),
    path("crise/", include("crisis.urls")),
    # Care sites, their status, referrals (/sites-de-soins/, /mon-site/, /professionnel/adresser/)
    # and the public orientation page (/orientation/<code>/).
    path("", include("referrals.urls")),
    path("avis-specialise/", include("specialists.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("i18n/catalogue.js", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("", include("opendata.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("gomask.api_urls")),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
