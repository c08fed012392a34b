from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

handler404 = "shanzhi.lib.api.not_found"
handler400 = "shanzhi.lib.api.bad_request"

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/", include("shanzhi.api_urls")),
    path("accounts/", include("shanzhi.accounts.urls")),
    path("audit/", include("shanzhi.audit.urls")),
    path("people/", include("shanzhi.people.urls")),
    path("cases/", include("shanzhi.cases.urls")),
    path("open311/", include("shanzhi.open311.urls")),
    path("campaigns/", include("shanzhi.campaigns.urls")),
    path("mediation/", include("shanzhi.mediation.urls")),
    path("rooms/", include("shanzhi.rooms.urls")),
    path("councils/", include("shanzhi.councils.urls")),
    path("legal/", include("shanzhi.legal.urls")),
    path("appraisal/", include("shanzhi.appraisal.urls")),
    path("volunteers/", include("shanzhi.volunteers.urls")),
    path("elections/", include("shanzhi.elections.urls")),
    path("dashboard/", include("shanzhi.dashboard.urls_evaluation")),  # evaluation/…, report/… first
    path("dashboard/", include("shanzhi.dashboard.urls")),
    path("", include("shanzhi.org.urls")),
]
