"""Make sure an admin account exists, without ever touching an existing one.

Uses Django's own DJANGO_SUPERUSER_USERNAME / _PASSWORD / _EMAIL when set;
otherwise creates `admin` with a generated password, printed once.
"""

import os
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "管理者アカウントがなければ作ります（既存のアカウントは変更しません）。"

    def handle(self, *args, **options):
        User = get_user_model()
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME", "").strip()
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")
        email = os.environ.get("DJANGO_SUPERUSER_EMAIL", "").strip()

        if username:
            if User.objects.filter(username=username).exists():
                self.stdout.write(f"管理者 {username} はすでにあります。")
                return
            if not password:
                password = secrets.token_urlsafe(12)
                self._create(User, username, email, password, show_password=True)
            else:
                # The same rules as the admin's password form: a chosen password is checked, never trusted.
                try:
                    validate_password(password, User(username=username, email=email))
                except ValidationError as exc:
                    raise CommandError(
                        "DJANGO_SUPERUSER_PASSWORD がパスワードの条件を満たしていません: " + " ".join(exc.messages)
                    ) from exc
                self._create(User, username, email, password, show_password=False)
            return

        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("管理者アカウントはすでにあります。")
            return
        self._create(User, "admin", email, secrets.token_urlsafe(12), show_password=True)

    def _create(self, User, username, email, password, *, show_password):
        User.objects.create_superuser(username=username, email=email, password=password)
        self.stdout.write(self.style.SUCCESS(f"管理者アカウントを作りました: ユーザー名 {username}"))
        if show_password:
            self.stdout.write(self.style.WARNING(f"パスワード（一度だけ表示します）: {password}"))
