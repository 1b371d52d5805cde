"""Make sure a researcher login exists for the demo; print it."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create the 'admin' superuser once (password kept in var/admin-password.txt) and print it."
    )

    def handle(self, *args, **options):
        password_file = settings.VAR_DIR / "admin-password.txt"
        if not password_file.exists():
            password_file.write_text(secrets.token_urlsafe(12))
        password = password_file.read_text().strip()
        user, _ = get_user_model().objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True}
        )
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        self.stdout.write(f"Researcher admin: user 'admin', password '{password}'")
