from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from otklik.api.api import api
from otklik.core.health import healthz
from otklik.organization.views import accounts_page

admin.site.site_header = "Отклик — администрирование"
admin.site.site_title = "Отклик"

urlpatterns: list[URLPattern | URLResolver] = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("o/<slug:slug>/accounts/", accounts_page, name="official-accounts"),
    path("o/<slug:slug>/", include("otklik.reports.public_urls")),
    path("hooks/", include("otklik.sources.urls")),
    path("sources/", include("otklik.sources.web_urls")),
    path("reports/", include("otklik.reports.urls")),
    path("notifications/", include("otklik.notify.urls")),
    path("calendar/", include("otklik.organization.urls")),
    path("", include("otklik.web.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
