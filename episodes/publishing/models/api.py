"""The publishing API's tokens, and the answers it keeps so a retried request publishes once.

A token's secret is shown once, when it is made, and stored only as its
SHA-256: the secret is 32 random bytes, so a plain hash is as strong as a slow
password hash would be, and lookups stay a single indexed query. A token
publishes only to the shows it names, or to every show (including ones that
do not exist yet) with `all_shows`; a token with neither can do nothing but
the health check.
"""

import hashlib
import re
import secrets
from datetime import timedelta

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from episodes.catalogue.models.shows import Show
from episodes.catalogue.models.text import CleanTextModel

TOKEN_PREFIX = "zpd_"
# Enough of the secret to tell tokens apart in the admin, far too little to guess the rest.
HINT_LENGTH = len(TOKEN_PREFIX) + 4
# last_used_at moves at most this often, so a polling client does not write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# A claimed key whose request never finished (its worker died) is free again after this.
STALE_CLAIM_AFTER = timedelta(minutes=10)


# What new_secret makes: the prefix and 32 random bytes in URL-safe base64 (43 characters).
SECRET_SHAPE = re.compile(re.escape(TOKEN_PREFIX) + r"[A-Za-z0-9_-]{43}")


def well_formed_secret(secret: str) -> bool:
    """Whether a presented secret could be one of ours at all: anything else is refused without a query."""
    return SECRET_SHAPE.fullmatch(secret) is not None


def hash_secret(secret: str) -> str:
    """How a token's secret is stored and looked up."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)

    def revoke(self) -> int:
        """Revoke the tokens not revoked yet; returns how many."""
        return self.active().update(revoked_at=timezone.now())

    revoke.alters_data = True

    def for_secret(self, secret: str) -> "ApiToken | None":
        """The token (revoked or not) a presented secret belongs to, or None."""
        if not well_formed_secret(secret):
            return None
        return self.prefetch_related("shows").filter(token_hash=hash_secret(secret)).first()


class ApiToken(CleanTextModel):
    """A secret the production pipeline presents as `Authorization: Bearer <secret>`."""

    name = models.CharField(
        "名前", max_length=100, help_text="どこで使うトークンか（例: GitHub Actions の毎日の公開）。"
    )
    token_hash = models.CharField("トークンのハッシュ", max_length=64, unique=True, editable=False)
    hint = models.CharField(
        "トークンの先頭", max_length=HINT_LENGTH, editable=False, help_text="どのトークンか見分けるための先頭の数文字。"
    )
    all_shows = models.BooleanField(
        "すべての番組", default=False, help_text="オンにすると、まだない番組も含めてどの番組にも公開できます。"
    )
    shows = models.ManyToManyField(Show, verbose_name="公開できる番組", blank=True, related_name="api_tokens")
    created_at = models.DateTimeField("作成日時", default=timezone.now, editable=False)
    last_used_at = models.DateTimeField("最終使用日時", null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField("無効にした日時", null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "API トークン"
        verbose_name_plural = "API トークン"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name}（{self.hint}…）"

    @classmethod
    def issue(cls, *, name: str, shows=(), all_shows: bool = False) -> tuple["ApiToken", str]:
        """Create a token; returns it and its secret, which is not stored anywhere."""
        token = cls(name=name, all_shows=all_shows)
        secret = token.new_secret()
        with transaction.atomic():
            token.save()
            token.shows.set(shows)
        return token, secret

    def new_secret(self) -> str:
        """Give the (unsaved) token a fresh secret and return it: the only time it is seen."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self.token_hash = hash_secret(secret)
        self.hint = secret[:HINT_LENGTH]
        return secret

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def allows_show(self, name: str | None) -> bool:
        """Whether this token may publish to the show of that name (uses the prefetched shows)."""
        return self.all_shows or (name is not None and any(show.name == name for show in self.shows.all()))

    def touch(self) -> None:
        """Record a use (at most once a minute)."""
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now


class IdempotencyRecordQuerySet(models.QuerySet):
    def claim(self, *, token: ApiToken, key: str, fingerprint: str) -> tuple["IdempotencyRecord", bool]:
        """Claim an Idempotency-Key for one request.

        Returns (record, True) when this request is to run, or (the existing
        record, False) when another request holds or answered the key. The
        unique constraint on (token, key) decides between concurrent requests.
        """
        for _ in range(3):
            try:
                with transaction.atomic():
                    return self.create(token=token, key=key, fingerprint=fingerprint), True
            except IntegrityError:
                pass
            existing = self.filter(token=token, key=key).first()
            if existing is None:  # released between our INSERT and SELECT: try again
                continue
            if existing.in_progress and existing.is_stale and existing.fingerprint == fingerprint:
                # Its request died half-way; publishing again is safe (an identical post is "unchanged").
                taken = self.filter(pk=existing.pk, status_code__isnull=True, created_at=existing.created_at)
                if taken.update(created_at=timezone.now()):
                    existing.refresh_from_db()
                    return existing, True
                continue
            return existing, False
        raise RuntimeError(f"Idempotency-Key {key!r} kept changing hands")


class IdempotencyRecord(models.Model):
    """The first answer to a request with an Idempotency-Key, replayed to its retries."""

    token = models.ForeignKey(
        ApiToken, verbose_name="トークン", on_delete=models.CASCADE, related_name="idempotency_records"
    )
    key = models.CharField("Idempotency-Key", max_length=255)
    fingerprint = models.CharField(
        "リクエストのハッシュ", max_length=64, help_text="送られたファイルの中身とフォームの値の SHA-256。"
    )
    status_code = models.PositiveSmallIntegerField(
        "応答のステータス", null=True, blank=True, help_text="空なら処理中。"
    )
    body = models.JSONField("応答の本文", default=dict, blank=True)
    created_at = models.DateTimeField("受け付けた日時", default=timezone.now)
    completed_at = models.DateTimeField("応答した日時", null=True, blank=True)

    objects = IdempotencyRecordQuerySet.as_manager()

    class Meta:
        verbose_name = "API の冪等キー"
        verbose_name_plural = "API の冪等キー"
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="idempotency_unique_token_key")]

    def __str__(self) -> str:
        return self.key

    @property
    def in_progress(self) -> bool:
        return self.status_code is None

    @property
    def is_stale(self) -> bool:
        return timezone.now() - self.created_at > STALE_CLAIM_AFTER

    def complete(self, status_code: int, body: dict) -> None:
        """Keep the answer for retries."""
        self.status_code, self.body, self.completed_at = status_code, body, timezone.now()
        self.save(update_fields=["status_code", "body", "completed_at"])

    def release(self) -> None:
        """Give the key back after a failure: errors are not replayed, a retry runs again."""
        IdempotencyRecord.objects.filter(pk=self.pk, status_code__isnull=True).delete()
