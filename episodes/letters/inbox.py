"""Listener letters: clean the text, know the sender, hold back floods, store once, tell staff.

The one path by which anonymous visitors write to the database (STYLE.md,
"A listener sends a letter"): the form validates, the sender's rate limit is
checked, the letter is one INSERT in its own transaction, and staff are
e-mailed after the commit. A failed e-mail never loses the letter:
`resend_letter_notifications` sends what was missed.

Settings, each optional (read only in `letter_settings()`):

- ``LETTERS_NOTIFY_EMAILS``: staff addresses to notify (list, or a comma-separated string).
- ``LETTERS_RATE_LIMIT`` / ``LETTERS_RATE_WINDOW``: at most this many letters per
  sender in any window of this many seconds (default 5 per 600). 0 turns the limit off.
- ``TRUSTED_CLIENT_IP_HEADER``: the header a trusted proxy puts the client's
  address in (e.g. ``X-Forwarded-For``). Empty (the default) means REMOTE_ADDR.
- ``LETTERS_CLIENT_HASH_SALT``: the secret for hashing addresses (default: SECRET_KEY).
"""

import hashlib
import json
import logging
import math
import re
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from episodes.catalogue.models import Episode, Show
from episodes.catalogue.text import clean_text
from episodes.letters.models import Letter
from episodes.serving.client_ip import client_ip, client_key

logger = logging.getLogger(__name__)

# A resubmission of the same letter within this time stores nothing new.
DEDUPE_WINDOW = timedelta(minutes=1)
RATE_KEY_PREFIX = "zundapod:letters:rate"


@dataclass(frozen=True)
class LetterSettings:
    """The letters feature's configuration, as `letter_settings()` read it."""

    notify_emails: tuple[str, ...]
    rate_limit: int
    rate_window: int
    hash_secret: str


def letter_settings() -> LetterSettings:
    """Every setting the letters feature reads (defaults live in settings.py), normalised."""
    emails = settings.LETTERS_NOTIFY_EMAILS
    if isinstance(emails, str):
        emails = emails.split(",")
    return LetterSettings(
        notify_emails=tuple(address.strip() for address in emails if address.strip()),
        rate_limit=int(settings.LETTERS_RATE_LIMIT),
        rate_window=max(1, int(settings.LETTERS_RATE_WINDOW)),
        hash_secret=settings.LETTERS_CLIENT_HASH_SALT or settings.SECRET_KEY,
    )


# --- text ----------------------------------------------------------------------

_LINE_BREAKS = re.compile("\r\n|[\r\x85\u2028\u2029]")
# C0/C1 controls (NUL included), lone surrogates, a stray BOM, and the bidi
# overrides/isolates that can make a name display as something else in the inbox.
_STRIPPED = {
    **dict.fromkeys(range(0x00, 0x20)),
    **dict.fromkeys(range(0x7F, 0xA0)),
    **dict.fromkeys(range(0xD800, 0xE000)),
    **dict.fromkeys([0xFEFF, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]),
}
_STRIP_MULTILINE = {code: None for code in _STRIPPED if code not in (0x09, 0x0A)}
_STRIP_SINGLE_LINE = {**dict.fromkeys(_STRIPPED), 0x09: " ", 0x0A: " "}


def normalise_text(value: str, *, multiline: bool) -> str:
    """Text as the listener sees it, so its length is what they counted.

    Line breaks become one `\\n` (a browser sends `\\r\\n`), control characters
    and NUL go, the result is NFC (a decomposed が counts as one character), and
    blank lines around it are trimmed. A single-line value has its line
    breaks and tabs turned into spaces and surrounding spaces trimmed. The
    first line's own indentation (a full-width space) is kept.
    """
    text = _LINE_BREAKS.sub("\n", value)
    text = text.translate(_STRIP_MULTILINE if multiline else _STRIP_SINGLE_LINE)
    # What the model's save would drop anyway (U+FFFE, U+FFFF): gone before the length and "required" checks.
    text = clean_text(text)
    text = unicodedata.normalize("NFC", text)
    if not multiline:
        return text.strip()
    lines = text.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines).rstrip()


# --- the sender ----------------------------------------------------------------


def client_hash(ip: str) -> str:
    """A salted hash of the sender's address (its /64 for IPv6); the address itself is never stored."""
    return salted_hmac(
        "zundapod.letters.client", client_key(ip), secret=letter_settings().hash_secret, algorithm="sha256"
    ).hexdigest()


def client_hash_for(request) -> str:
    """The hashed sender of a request."""
    return client_hash(client_ip(request))


# --- rate limit ----------------------------------------------------------------
# Written here rather than taken from django-ratelimit: a letter must count only
# once it is accepted (not when the form has a typo, not for a double click),
# and the listener is told how long to wait. Each sender has `limit` slots in
# the cache; a letter takes a free slot with cache.add (atomic in every
# backend), and the slot frees itself `window` seconds later. So at most
# `limit` letters pass in any sliding window, however many requests race.
# When the cache itself fails (Redis down), letters are let through and the
# failure logged: a lost letter is worse than a few extra ones, and the
# database still stores each letter once.


class RateLimited(Exception):
    """The sender has used every slot; `retry_after` seconds until the oldest frees."""

    def __init__(self, retry_after: int):
        super().__init__(f"rate limited for {retry_after}s")
        self.retry_after = retry_after


def _slot_keys(sender: str, limit: int) -> list[str]:
    return [f"{RATE_KEY_PREFIX}:{sender}:{slot}" for slot in range(limit)]


def retry_after(sender: str) -> int:
    """Seconds until the sender may send again (0: now)."""
    config = letter_settings()
    if config.rate_limit <= 0:
        return 0
    try:
        taken = cache.get_many(_slot_keys(sender, config.rate_limit))
    except Exception:  # any backend's connection error; see above
        logger.warning("Letters rate limit: the cache is unavailable", exc_info=True)
        return 0
    if len(taken) < config.rate_limit:
        return 0
    oldest = min(taken.values())
    return max(1, math.ceil(oldest + config.rate_window - time.time()))


def take_slot(sender: str) -> str | None:
    """Reserve one of the sender's slots; its cache key, "" when unlimited, None when all are taken."""
    config = letter_settings()
    if config.rate_limit <= 0:
        return ""
    keys = _slot_keys(sender, config.rate_limit)
    try:
        taken = cache.get_many(keys)
        for key in keys:
            if key not in taken and cache.add(key, time.time(), timeout=config.rate_window):
                return key
    except Exception:  # any backend's connection error; see above
        logger.warning("Letters rate limit skipped: the cache is unavailable", exc_info=True)
        return ""
    return None


def release_slot(key: str | None) -> None:
    """Give back a slot that stored nothing (a duplicate, an error)."""
    if key:
        try:
            cache.delete(key)
        except Exception:  # the slot expires by itself anyway
            logger.warning("Letters rate limit: could not release a slot", exc_info=True)


def format_wait(seconds: int) -> str:
    """A wait in words a listener reads at a glance: 「3分」, 「1分」."""
    return f"{max(1, math.ceil(seconds / 60))}分"


# --- storing ---------------------------------------------------------------------


def dedupe_key(
    *,
    sender: str,
    radio_name: str,
    message: str,
    show: Show | None,
    episode: Episode | None,
    email: str,
    consent_to_air: bool,
) -> str:
    """Identifies one submission from one sender: a double click gives the same key."""
    payload = [sender, radio_name, message, show and show.pk, episode and episode.pk, email, consent_to_air]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def store_letter(*, dedupe: str, sender: str, **fields) -> tuple[Letter, bool]:
    """INSERT the letter in its own transaction; (letter, created).

    The unique `dedupe_key` decides between concurrent duplicates: the second
    INSERT fails, and the letter already stored is returned. A key left on a
    letter older than the dedupe window is released, so the same text sent
    again later is a new letter.
    """
    for _attempt in range(3):
        letter = Letter(**fields, client_hash=sender, dedupe_key=dedupe, received_at=timezone.now())
        try:
            with transaction.atomic(durable=True):
                letter.save(force_insert=True)
                transaction.on_commit(lambda letter=letter: notify_staff(letter), robust=True)
            return letter, True
        except IntegrityError as exc:
            existing = Letter.objects.filter(dedupe_key=dedupe).first()
            if existing is None:
                error = exc  # not the dedupe key (or it vanished): try again, then give up
                continue
            if existing.received_at >= timezone.now() - DEDUPE_WINDOW:
                logger.info("Letter %s: a concurrent resubmission collapsed on its dedupe key", existing.pk)
                return existing, False
            Letter.objects.filter(pk=existing.pk, dedupe_key=dedupe).update(dedupe_key=None)
            error = exc
    raise error


def submit_letter(
    *,
    sender: str,
    radio_name: str,
    message: str,
    show: Show | None = None,
    episode: Episode | None = None,
    email: str = "",
    consent_to_air: bool = False,
) -> tuple[Letter, bool]:
    """Accept a validated letter: once, within the sender's rate limit; (letter, created).

    Raises `RateLimited` when the sender has no slot left. A resubmission of a
    letter stored within the last minute returns it without using a slot.
    """
    fields = {
        "radio_name": radio_name,
        "message": message,
        "show": show,
        "episode": episode,
        "email": email,
        "consent_to_air": consent_to_air,
    }
    key = dedupe_key(sender=sender, **fields)
    recent = Letter.objects.filter(dedupe_key=key, received_at__gte=timezone.now() - DEDUPE_WINDOW).first()
    if recent is not None:
        return recent, False
    slot = take_slot(sender)
    if slot is None:
        raise RateLimited(max(1, retry_after(sender)))
    try:
        letter, created = store_letter(dedupe=key, sender=sender, **fields)
    except BaseException:
        release_slot(slot)
        raise
    if not created:
        release_slot(slot)
    return letter, created


def record_spam(*, sender: str) -> None:
    """A bot filled the honeypot: store nothing, but count it against the sender."""
    take_slot(sender)
    logger.info("Letter honeypot filled by sender %s…; nothing stored", sender[:12])


# --- telling staff ------------------------------------------------------------------


def _notification(letter: Letter) -> tuple[str, str]:
    """Subject and plain-text body of the staff e-mail (no listener address in it)."""
    received = timezone.localtime(letter.received_at)
    episode = letter.episode
    lines = [
        "新しいお便りが届きました。",
        "",
        f"ラジオネーム: {letter.radio_name}",
        f"番組: {letter.show.name if letter.show else '指定なし'}",
        f"話題のエピソード: {f'#{episode.number} {episode.title}' if episode else 'なし'}",
        f"放送で読まれてもよい: {'はい' if letter.consent_to_air else 'いいえ'}",
        f"返信用メールアドレス: {'あり（管理画面で確認できます）' if letter.email else 'なし'}",
        f"受信日時: {received:%Y-%m-%d %H:%M}",
        "",
        "----",
        letter.message,
        "----",
        "",
        f"管理画面で開く: {settings.SITE_URL}{letter.get_admin_url()}",
    ]
    return f"[お便り] {letter.radio_name}さんから", "\n".join(lines) + "\n"


def notify_staff(letter: Letter) -> bool:
    """E-mail staff about one stored letter and record when; False if it was not sent.

    Runs after the letter's commit. A failure is logged and leaves
    `notified_at` empty for `resend_letter_notifications`.
    """
    recipients = letter_settings().notify_emails
    if not recipients:
        return False
    subject, body = _notification(letter)
    try:
        EmailMessage(subject, body, to=list(recipients)).send()
    except Exception:  # SMTP, DNS, TLS, timeouts: whatever fails, the letter is already safe.
        logger.exception("Could not e-mail staff about letter %s; resend_letter_notifications will retry", letter.pk)
        return False
    Letter.objects.filter(pk=letter.pk).update(notified_at=timezone.now())
    return True


@dataclass
class ResendResult:
    """How many letters awaited a notification, and how many were sent or failed."""

    pending: int = 0
    sent: int = 0
    failed: int = 0


def resend_missed_notifications(*, since: datetime, grace: timedelta, dry_run: bool = False) -> ResendResult:
    """Notify staff about letters received since `since` that they never heard about.

    Letters younger than `grace` are left alone: their own notification may
    still be on its way.
    """
    pending = list(
        Letter.objects.awaiting_notification(since=since, until=timezone.now() - grace)
        .select_related("show", "episode")
        .order_by("received_at")
    )
    result = ResendResult(pending=len(pending))
    if dry_run:
        return result
    for letter in pending:
        if notify_staff(letter):
            result.sent += 1
        else:
            result.failed += 1
    return result
