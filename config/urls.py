from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("studies.api_urls")),
    path("", include("studies.urls")),
]
