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
    path("accounts/", include("otklik.security.urls")),
    path("o/<slug:slug>/accounts/", accounts_page, name="official-accounts"),
    path("o/<slug:slug>/", include("otklik.reports.public_urls")),
    path("hooks/", include("otklik.sources.urls")),
    path("sources/", include("otklik.sources.web_urls")),
    path("reports/", include("otklik.reports.urls")),
    path("notifications/", include("otklik.notify.urls")),
    path("calendar/", include("otklik.organization.urls")),
    path("privacy/", include("otklik.privacy.urls")),
    path("", include("otklik.web.urls")),
]
# No route serves MEDIA_ROOT, in any mode: attachments and stored reports go out only through
# views that check rights (otklik.security.files).
