from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from studies.apis import StudyViewSet
from studies.permissions import IsResearcher

router = DefaultRouter()
router.register("studies", StudyViewSet)

urlpatterns = [
    path("", include(router.urls)),
    path(
        "schema/", SpectacularAPIView.as_view(permission_classes=[IsResearcher]), name="api-schema"
    ),
]
