from django.contrib import admin
from django.urls import include, path

from studies.front_views import front_page

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("studies.api_urls")),
    path("", front_page, name="front-page"),
    path("", include("studies.urls")),
]
