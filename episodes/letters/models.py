"""Listener letters (お便り): the one thing anonymous visitors can write.

How a letter arrives (form, rate limit, one INSERT, notification) lives in
`episodes/letters/inbox.py`; this module holds what a letter is and its rules.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.urls import reverse
from django.utils import timezone

from episodes.catalogue.models.episodes import Episode
from episodes.catalogue.models.revision import SiteRevision
from episodes.catalogue.models.shows import Show
from episodes.catalogue.models.text import CleanTextModel

RADIO_NAME_MAX = 40
MESSAGE_MAX = 2000
FIRST_LINE_MAX = 40


class LetterQuerySet(models.QuerySet):
    """The inbox's reusable filters."""

    def credited_on_air(self):
        """Letters read out in an episode whose senders agreed: the page may name them."""
        return self.filter(aired_in__isnull=False, consent_to_air=True).order_by("received_at", "id")

    def awaiting_notification(self, *, since, until):
        """Letters received in [since, until] that staff were never told about."""
        return self.filter(notified_at__isnull=True, received_at__gte=since, received_at__lte=until)

    def purgeable(self, *, before):
        """Archived letters received before `before`: what `purge_letters` removes."""
        return self.filter(status=Letter.Status.ARCHIVED, received_at__lt=before)

    def delete(self):
        # Deleting a credited letter changes what an episode page shows.
        credited = self.filter(aired_in__isnull=False, consent_to_air=True).exists()
        result = super().delete()
        if credited:
            SiteRevision.bump()
        return result

    delete.alters_data = True


class LetterStatus(models.TextChoices):
    """Where a letter is in the staff's work (module level so constraints can name it)."""

    NEW = "new", "未読"
    READ = "read", "既読"
    PICKED = "picked", "採用"
    AIRED = "aired", "放送済み"
    ARCHIVED = "archived", "アーカイブ"


class Letter(CleanTextModel):
    """A letter to a show, read by staff and perhaps read out on air."""

    Status = LetterStatus

    radio_name = models.CharField("ラジオネーム", max_length=RADIO_NAME_MAX)
    message = models.TextField("メッセージ", max_length=MESSAGE_MAX)
    show = models.ForeignKey(
        Show, verbose_name="番組", null=True, blank=True, on_delete=models.SET_NULL, related_name="letters"
    )
    episode = models.ForeignKey(
        Episode,
        verbose_name="話題のエピソード",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="letters_about",
    )
    email = models.EmailField("返信用メールアドレス", blank=True)
    consent_to_air = models.BooleanField("放送で読まれてもよい", default=False)
    status = models.CharField("状態", max_length=10, choices=Status.choices, default=Status.NEW, db_index=True)
    received_at = models.DateTimeField("受信日時", default=timezone.now, db_index=True)
    aired_in = models.ForeignKey(
        Episode,
        verbose_name="紹介したエピソード",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="aired_letters",
        help_text="入れると状態は「放送済み」になります。",
    )
    staff_memo = models.TextField("スタッフメモ", blank=True)
    # Only a salted hash of the sender's IP, for rate limiting and abuse review.
    client_hash = models.CharField("送信元（ハッシュ）", max_length=64, blank=True, editable=False, db_index=True)
    # Same sender, same text, same minute: a double click stores one letter.
    dedupe_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    notified_at = models.DateTimeField("スタッフへの通知日時", null=True, blank=True, editable=False)

    objects = LetterQuerySet.as_manager()

    class Meta:
        verbose_name = "お便り"
        verbose_name_plural = "お便り"
        ordering = ["-received_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=LetterStatus.values), name="letter_status_valid"),
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("radio_name"), 1), name="letter_radio_name_present"
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("radio_name"), RADIO_NAME_MAX), name="letter_radio_name_max"
            ),
            models.CheckConstraint(condition=GreaterThanOrEqual(Length("message"), 1), name="letter_message_present"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("message"), MESSAGE_MAX), name="letter_message_max"
            ),
            # A letter read out in an episode is aired (or archived after airing).
            models.CheckConstraint(
                condition=Q(aired_in__isnull=True) | Q(status__in=[LetterStatus.AIRED, LetterStatus.ARCHIVED]),
                name="letter_aired_in_is_aired",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.radio_name}: {self.first_line}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        if self._public_credit() != getattr(self, "_saved_credit", None):
            SiteRevision.bump()
        self._saved_credit = self._public_credit()

    def delete(self, *args, **kwargs):
        credited = self._public_credit() is not None
        result = super().delete(*args, **kwargs)
        if credited:
            SiteRevision.bump()
        return result

    def clean(self):
        if self.aired_in_id is not None and self.status in {self.Status.NEW, self.Status.READ, self.Status.PICKED}:
            # Choosing the episode it was read in is how staff say "aired".
            self.status = self.Status.AIRED
        if self.status == self.Status.AIRED and self.aired_in_id is None:
            # The episode page credits the sender, and the inbox says where it was read: both need the episode.
            raise ValidationError({"aired_in": "放送済みにするには、紹介したエピソードを選んでください。"})

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        if {"aired_in_id", "consent_to_air", "radio_name"} <= set(field_names):
            instance._saved_credit = instance._public_credit()
        return instance

    def _public_credit(self) -> tuple | None:
        """What an episode page shows of this letter (None: nothing)."""
        if self.aired_in_id and self.consent_to_air:
            return (self.aired_in_id, self.radio_name)
        return None

    @property
    def first_line(self) -> str:
        """The message's first non-blank line, shortened for lists."""
        line = self.message.strip().splitlines()[0] if self.message.strip() else ""
        return line if len(line) <= FIRST_LINE_MAX else line[: FIRST_LINE_MAX - 1] + "…"

    def get_admin_url(self) -> str:
        return reverse("admin:letters_letter_change", args=[self.pk])
