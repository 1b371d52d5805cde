from rest_framework.permissions import IsAdminUser


class IsResearcher(IsAdminUser):
    """Researchers are staff users; participants never use the API."""
