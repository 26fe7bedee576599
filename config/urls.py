from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

api_v1 = [
    path("", include("providers.urls")),
    path("", include("members.urls")),
    path("", include("claims.urls")),
    path("", include("budgets.urls")),
    path("", include("accounts.urls")),
    path("", include("supervision.urls")),
    path("", include("imports.urls")),
    path("", include("simulation.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("", include("national.urls")),  # POST /api/national/ and the staff reconciliation page
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("supervision/", include("supervision.page_urls")),
    path("dashboard/", include("dashboards.urls")),
    path("simulation/", include("simulation.page_urls")),
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
