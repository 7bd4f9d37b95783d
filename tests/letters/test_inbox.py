"""Listener letters' domain (episodes/letters/inbox.py): text, sender, rate limit, storing once, notifying."""

import logging
import socket
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.test import override_settings
from django.utils import timezone

from episodes.catalogue.models import SiteRevision
from episodes.letters import inbox as letters
from episodes.letters.models import Letter
from tests.factories import make_episode, make_show
from tests.letter_factories import make_letter

pytestmark = pytest.mark.django_db

STAFF = ["staff@example.jp", "producer@example.jp"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def submit(sender="a" * 64, **fields):
    fields.setdefault("radio_name", "ずんだ餅")
    fields.setdefault("message", "いつも聞いています。")
    return letters.submit_letter(sender=sender, **fields)


def closed_port() -> int:
    """A local port nothing listens on: connecting to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TestNormaliseText:
    def test_crlf_and_lone_cr_become_one_line_break(self):
        assert letters.normalise_text("a\r\nb\rc\u2028d", multiline=True) == "a\nb\nc\nd"

    def test_nfc(self):
        assert letters.normalise_text("か\u3099", multiline=True) == "が"

    def test_control_characters_nul_and_bidi_overrides_removed(self):
        text = "\ufeffa\x00b\x08c\x1bd\x7fe\x9ff\u202eg\u2066h"
        assert letters.normalise_text(text, multiline=True) == "abcdefgh"

    def test_tabs_and_line_breaks_kept_in_a_message(self):
        assert letters.normalise_text("一\t二\n三", multiline=True) == "一\t二\n三"

    def test_surrounding_blank_lines_trimmed_indentation_kept(self):
        assert letters.normalise_text("\n \n　本文\n\n  \n", multiline=True) == "　本文"

    def test_single_line(self):
        assert letters.normalise_text("  ずんだ\nもち\tさん  ", multiline=False) == "ずんだ もち さん"

    def test_emoji_sequences_survive(self):
        family = "👨\u200d👩\u200d👧"
        assert letters.normalise_text(family, multiline=True) == family


class TestSender:
    def test_hash_is_salted_and_hides_the_address(self, settings):
        first = letters.client_hash("203.0.113.7")
        assert len(first) == 64
        assert "203" not in first
        assert letters.client_hash("203.0.113.7") == first
        assert letters.client_hash("203.0.113.8") != first
        settings.LETTERS_CLIENT_HASH_SALT = "another-salt"
        assert letters.client_hash("203.0.113.7") != first

    def test_hash_follows_the_secret_key_by_default(self, settings):
        first = letters.client_hash("203.0.113.7")
        settings.SECRET_KEY = "a-different-secret-key-for-this-test-only-0123456789"
        assert letters.client_hash("203.0.113.7") != first

    def test_one_ipv6_subscriber_line_is_one_sender(self):
        assert letters.client_hash("2001:db8:1:2::1") == letters.client_hash("2001:db8:1:2:ffff::9")
        assert letters.client_hash("2001:db8:1:2::1") != letters.client_hash("2001:db8:1:3::1")
        assert letters.client_hash("::ffff:203.0.113.7") == letters.client_hash("203.0.113.7")


class TestRateLimit:
    def test_five_letters_then_a_wait(self):
        for n in range(5):
            _, created = submit(message=f"{n}通目")
            assert created
        with pytest.raises(letters.RateLimited) as limited:
            submit(message="6通目")
        assert 590 <= limited.value.retry_after <= 600
        assert Letter.objects.count() == 5

    def test_senders_are_limited_separately(self):
        for n in range(5):
            submit(sender="a" * 64, message=f"{n}")
        _, created = submit(sender="b" * 64, message="別の人")
        assert created

    def test_settings_change_the_limit(self, settings):
        settings.LETTERS_RATE_LIMIT = 2
        settings.LETTERS_RATE_WINDOW = 60
        submit(message="1")
        submit(message="2")
        with pytest.raises(letters.RateLimited) as limited:
            submit(message="3")
        assert limited.value.retry_after <= 60

    def test_zero_turns_it_off(self, settings):
        settings.LETTERS_RATE_LIMIT = 0
        for n in range(8):
            submit(message=f"{n}")
        assert Letter.objects.count() == 8
        assert letters.retry_after("a" * 64) == 0

    def test_a_slot_frees_itself_after_the_window(self, settings):
        settings.LETTERS_RATE_LIMIT = 1
        settings.LETTERS_RATE_WINDOW = 1
        submit(message="1")
        with pytest.raises(letters.RateLimited):
            submit(message="2")
        time.sleep(1.1)
        _, created = submit(message="2")
        assert created

    def test_a_duplicate_does_not_use_a_slot(self):
        for _ in range(7):
            submit(message="同じ文面")
        assert Letter.objects.count() == 1
        for n in range(4):
            _, created = submit(message=f"{n}")
            assert created

    def test_cache_down_lets_letters_through(self, caplog):
        """A real Redis cache with no server behind it: the letter is worth more than the limit."""
        redis_down = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
                "OPTIONS": {"socket_connect_timeout": 2},
            }
        }
        with override_settings(CACHES=redis_down), caplog.at_level(logging.WARNING, logger="episodes.letters.inbox"):
            for n in range(7):
                _, created = submit(message=f"{n}通目")
                assert created
            assert letters.retry_after("a" * 64) == 0
        assert Letter.objects.count() == 7
        assert "the cache is unavailable" in caplog.text

    @pytest.mark.parametrize(("seconds", "words"), [(1, "1分"), (59, "1分"), (60, "1分"), (61, "2分"), (600, "10分")])
    def test_wait_in_words(self, seconds, words):
        assert letters.format_wait(seconds) == words


class TestStoreOnce:
    def test_resubmission_within_a_minute_returns_the_stored_letter(self):
        first, created = submit()
        again, created_again = submit()
        assert created and not created_again
        assert again.pk == first.pk
        assert Letter.objects.count() == 1

    def test_same_text_after_a_minute_is_a_new_letter(self):
        first, _ = submit()
        Letter.objects.filter(pk=first.pk).update(received_at=timezone.now() - timedelta(minutes=2))
        second, created = submit()
        assert created and second.pk != first.pk
        first.refresh_from_db()
        assert first.dedupe_key is None
        assert second.dedupe_key

    def test_other_sender_or_other_text_is_another_letter(self):
        submit()
        submit(sender="b" * 64)
        submit(message="別の文面")
        submit(email="listener@example.jp")
        assert Letter.objects.count() == 4

    def test_concurrent_duplicate_collapses_on_the_unique_key(self):
        """The second of two simultaneous requests gets past the SELECT; the constraint stops it."""
        fields = {"radio_name": "ずんだ餅", "message": "同時に届いた", "show": None, "episode": None}
        fields |= {"email": "", "consent_to_air": False}
        key = letters.dedupe_key(sender="a" * 64, **fields)
        first, created = letters.store_letter(dedupe=key, sender="a" * 64, **fields)
        second, created_again = letters.store_letter(dedupe=key, sender="a" * 64, **fields)
        assert created and not created_again
        assert second.pk == first.pk
        assert Letter.objects.count() == 1

    def test_other_integrity_errors_are_not_swallowed(self):
        with pytest.raises(IntegrityError):
            letters.store_letter(dedupe="k" * 64, sender="a" * 64, radio_name="", message="本文")
        assert not Letter.objects.exists()

    def test_everything_the_listener_sent_is_stored(self):
        episode = make_episode(number=77)
        letter, _ = submit(
            sender="c" * 64,
            radio_name="ずんだ餅",
            message="本文",
            show=episode.show,
            episode=episode,
            email="listener@example.jp",
            consent_to_air=True,
        )
        letter = Letter.objects.get(pk=letter.pk)
        assert (letter.radio_name, letter.message, letter.email) == ("ずんだ餅", "本文", "listener@example.jp")
        assert (letter.show, letter.episode, letter.consent_to_air) == (episode.show, episode, True)
        assert letter.client_hash == "c" * 64
        assert letter.status == Letter.Status.NEW
        assert letter.notified_at is None


class TestNotification:
    def test_staff_emailed_after_commit(self, settings, django_capture_on_commit_callbacks):
        settings.LETTERS_NOTIFY_EMAILS = STAFF
        episode = make_episode(number=88, title="金曜の回")
        with django_capture_on_commit_callbacks() as callbacks:
            letter, _ = submit(radio_name="ずんだ餅", message="一行目\n二行目", episode=episode, email="me@example.jp")
            assert mail.outbox == []  # nothing leaves before the commit
        assert len(callbacks) == 1
        callbacks[0]()
        assert len(mail.outbox) == 1
        sent = mail.outbox[0]
        assert sent.to == STAFF
        assert sent.subject == "[お便り] ずんだ餅さんから"
        assert "一行目\n二行目" in sent.body
        assert "#88 金曜の回" in sent.body
        assert f"/admin/letters/letter/{letter.pk}/change/" in sent.body
        assert "me@example.jp" not in sent.body  # the listener's address stays in the admin
        letter.refresh_from_db()
        assert letter.notified_at is not None

    def test_comma_separated_string_setting(self, settings, django_capture_on_commit_callbacks):
        settings.LETTERS_NOTIFY_EMAILS = " staff@example.jp, ,producer@example.jp "
        with django_capture_on_commit_callbacks(execute=True):
            submit()
        assert mail.outbox[0].to == STAFF

    def test_nobody_to_tell(self, settings, django_capture_on_commit_callbacks):
        settings.LETTERS_NOTIFY_EMAILS = []
        with django_capture_on_commit_callbacks(execute=True):
            letter, _ = submit()
        assert mail.outbox == []
        letter.refresh_from_db()
        assert letter.notified_at is None

    def test_a_duplicate_notifies_no_one(self, settings, django_capture_on_commit_callbacks):
        settings.LETTERS_NOTIFY_EMAILS = STAFF
        with django_capture_on_commit_callbacks(execute=True):
            submit()
            submit()
        assert len(mail.outbox) == 1

    def test_failing_mail_server_leaves_the_letter_stored(self, settings, django_capture_on_commit_callbacks, caplog):
        settings.LETTERS_NOTIFY_EMAILS = STAFF
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = closed_port()
        settings.EMAIL_TIMEOUT = 5
        with (
            caplog.at_level(logging.ERROR, logger="episodes.letters.inbox"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            letter, created = submit()
        assert created
        letter.refresh_from_db()
        assert letter.notified_at is None
        assert "Could not e-mail staff about letter" in caplog.text

    def test_resend_sends_only_what_was_missed(self, settings):
        settings.LETTERS_NOTIFY_EMAILS = STAFF
        now = timezone.now()
        missed = make_letter(radio_name="届かなかった人", received_at=now - timedelta(hours=1))
        make_letter(radio_name="通知済みの人", received_at=now - timedelta(hours=1), notified_at=now)
        make_letter(radio_name="さっき届いた人", received_at=now)
        make_letter(radio_name="昔の人", received_at=now - timedelta(days=30))
        result = letters.resend_missed_notifications(since=now - timedelta(days=7), grace=timedelta(minutes=5))
        assert (result.pending, result.sent, result.failed) == (1, 1, 0)
        assert [m.subject for m in mail.outbox] == ["[お便り] 届かなかった人さんから"]
        missed.refresh_from_db()
        assert missed.notified_at is not None


class TestModel:
    def test_first_line(self):
        assert make_letter(message="\n  一行目です\n二行目").first_line == "一行目です"
        long = make_letter(message="あ" * 50)
        assert long.first_line == "あ" * 39 + "…"
        assert str(long) == f"{long.radio_name}: {'あ' * 39}…"

    def test_choosing_the_aired_episode_marks_it_aired(self):
        letter = make_letter(status=Letter.Status.PICKED)
        letter.aired_in = make_episode()
        letter.full_clean()
        assert letter.status == Letter.Status.AIRED

    def test_aired_needs_the_episode(self):
        letter = make_letter(status=Letter.Status.PICKED)
        letter.status = Letter.Status.AIRED
        with pytest.raises(ValidationError) as caught:
            letter.full_clean()
        assert "aired_in" in caught.value.message_dict

    def test_database_refuses_an_aired_episode_on_an_unaired_letter(self):
        with pytest.raises(IntegrityError):
            make_letter(status=Letter.Status.READ, aired_in=make_episode())

    def test_credits_move_the_site_revision_but_new_letters_do_not(self):
        before = SiteRevision.current()[0]
        letter = make_letter(consent_to_air=True)
        assert SiteRevision.current()[0] == before
        letter.status = Letter.Status.AIRED
        letter.aired_in = make_episode()
        after_episode = SiteRevision.current()[0]
        letter.save()
        assert SiteRevision.current()[0] == after_episode + 1
        letter.staff_memo = "メモ"
        letter.save()
        assert SiteRevision.current()[0] == after_episode + 1
        Letter.objects.filter(pk=letter.pk).delete()
        assert SiteRevision.current()[0] == after_episode + 2

    def test_credited_on_air(self):
        episode = make_episode()
        named = make_letter(status=Letter.Status.AIRED, aired_in=episode, consent_to_air=True)
        make_letter(status=Letter.Status.AIRED, aired_in=episode, consent_to_air=False)
        make_letter(status=Letter.Status.PICKED, consent_to_air=True, show=make_show())
        assert list(Letter.objects.credited_on_air()) == [named]


def test_non_characters_alone_are_no_name():
    # Found by tests/test_fuzz.py: U+FFFE passed the form, the save dropped it, the constraint refused an empty name (500).
    assert letters.normalise_text("\ufffe\uffff", multiline=False) == ""
    assert letters.normalise_text("本文\ufffe", multiline=True) == "本文"
