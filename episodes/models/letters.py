"""Listener letters (お便り): the one thing anonymous visitors can write."""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils import timezone

from .episodes import Episode
from .shows import Show

RADIO_NAME_MAX = 40
MESSAGE_MAX = 2000


class Letter(models.Model):
    """A letter to a show, read by staff and perhaps read out on air."""

    class Status(models.TextChoices):
        NEW = "new", "未読"
        READ = "read", "既読"
        PICKED = "picked", "採用"
        AIRED = "aired", "放送済み"
        ARCHIVED = "archived", "アーカイブ"

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
    )
    staff_memo = models.TextField("スタッフメモ", blank=True)
    # Only a salted hash of the sender's IP, for rate limiting and abuse review.
    client_hash = models.CharField("送信元（ハッシュ）", max_length=64, blank=True, editable=False, db_index=True)
    # Same sender, same text, same minute: a double click stores one letter.
    dedupe_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    notified_at = models.DateTimeField("スタッフへの通知日時", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "お便り"
        verbose_name_plural = "お便り"
        ordering = ["-received_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["new", "read", "picked", "aired", "archived"]), name="letter_status_valid"
            ),
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
        ]

    def __str__(self) -> str:
        return f"{self.radio_name}: {self.first_line}"

    @property
    def first_line(self) -> str:
        line = self.message.strip().splitlines()[0] if self.message.strip() else ""
        return line if len(line) <= 40 else line[:39] + "…"
