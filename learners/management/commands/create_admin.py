"""Create the first administrator, or make an existing account one, with the email address
already verified: signing in needs no email, so it works before SMTP is set up.

    manage.py create_admin admin@example.org --name "Ada Admin"

The password is asked for twice on a terminal; without one (a deploy script), it is read from
the environment variable SOCIALCRAFT_ADMIN_PASSWORD. It must pass the site's password rules.
"""

import getpass
import os

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse

from learners.models import User, normalise_email
from learners.services import ensure_user

FROM_ENVIRONMENT = "SOCIALCRAFT_ADMIN_PASSWORD"


class Command(BaseCommand):
    help = "Create an administrator (staff and superuser) whose email needs no verification."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="", help="the display name (default: kept or empty)")

    def handle(self, *args, **options):
        email = normalise_email(options["email"])
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"“{options['email']}” is not a valid email address.") from None
        existing = User.objects.filter(email=email).first()
        name = options["name"] or (existing.display_name if existing else "")
        password = self._password(User(email=email, display_name=name))
        with transaction.atomic():
            user, created = ensure_user(
                email=email,
                display_name=name,
                password=password,
                is_staff=True,
                is_superuser=True,
            )
        site = settings.SITE_URL.rstrip("/")
        what = "Created the administrator" if created else "Made an administrator of"
        self.stdout.write(self.style.SUCCESS(f"{what} {user.email}; the address is verified."))
        self.stdout.write(
            f"Sign in at {site}{reverse('account_login')} with that address and password; "
            f"the admin is at {site}{reverse('admin:index')}."
        )

    def _password(self, user: User) -> str:
        password = os.environ.get(FROM_ENVIRONMENT)
        if password is None:
            if not self.stdin_is_a_terminal():
                raise CommandError(
                    f"No password: run this on a terminal, or set {FROM_ENVIRONMENT}."
                )
            password = getpass.getpass("Password: ")
            if getpass.getpass("Password (again): ") != password:
                raise CommandError("The two passwords differ; nothing was changed.")
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(
                "That password can't be used: " + " ".join(error.messages) + " Nothing was changed."
            ) from None
        return password

    def stdin_is_a_terminal(self) -> bool:
        return os.isatty(0)
