"""`purge_letters` and `resend_letter_notifications`, the letters' housekeeping commands."""

import io
import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from episodes.catalogue.models import SiteRevision
from episodes.letters.models import Letter
from tests.factories import make_episode
from tests.letter_factories import make_letter

pytestmark = pytest.mark.django_db


def days_ago(days: float):
    return timezone.now() - timedelta(days=days)


@pytest.fixture
def inbox():
    """Old and new letters in every state."""
    return {
        "old_archived": make_letter(
            radio_name="古いアーカイブ", status=Letter.Status.ARCHIVED, received_at=days_ago(200)
        ),
        "new_archived": make_letter(
            radio_name="新しいアーカイブ", status=Letter.Status.ARCHIVED, received_at=days_ago(5)
        ),
        "old_unread": make_letter(radio_name="古い未読", received_at=days_ago(200)),
        "old_picked": make_letter(radio_name="古い採用", status=Letter.Status.PICKED, received_at=days_ago(200)),
    }


class TestPurgeLetters:
    def test_removes_only_old_archived_letters(self, inbox, capsys):
        call_command("purge_letters", "--older-than", "90")
        assert "90 日より古いアーカイブ済みのお便りを 1 件削除しました。" in capsys.readouterr().out
        remaining = set(Letter.objects.values_list("radio_name", flat=True))
        assert remaining == {"新しいアーカイブ", "古い未読", "古い採用"}

    def test_dry_run_deletes_nothing(self, inbox, capsys):
        call_command("purge_letters", "--older-than", "1", "--dry-run")
        assert "2 件です（--dry-run のため削除していません）。" in capsys.readouterr().out
        assert Letter.objects.count() == 4

    def test_verbose_lists_each_letter(self, inbox, capsys):
        call_command("purge_letters", "--older-than", "90", "--dry-run", verbosity=2)
        out = capsys.readouterr().out
        assert f"{inbox['old_archived'].pk}: " in out and "古いアーカイブ" in out
        assert "新しいアーカイブ" not in out

    def test_removing_a_credited_letter_moves_the_site_revision(self):
        make_letter(
            status=Letter.Status.ARCHIVED, aired_in=make_episode(), consent_to_air=True, received_at=days_ago(400)
        )
        before = SiteRevision.current()[0]
        call_command("purge_letters", "--older-than", "365")
        assert not Letter.objects.exists()
        assert SiteRevision.current()[0] == before + 1

    @pytest.mark.parametrize("days", ["0", "-3"])
    def test_refuses_a_zero_or_negative_age(self, inbox, days):
        with pytest.raises(CommandError, match="1 以上"):
            call_command("purge_letters", "--older-than", days)
        assert Letter.objects.count() == 4

    def test_age_is_required(self):
        with pytest.raises(CommandError):
            call_command("purge_letters")


class TestResendLetterNotifications:
    @pytest.fixture(autouse=True)
    def _staff(self, settings):
        settings.LETTERS_NOTIFY_EMAILS = ["staff@example.jp"]

    def test_sends_what_was_missed_once(self, capsys):
        missed = make_letter(radio_name="届かなかった人", received_at=days_ago(1))
        make_letter(radio_name="通知済みの人", received_at=days_ago(1), notified_at=days_ago(1))
        make_letter(radio_name="今届いた人")
        make_letter(radio_name="ずっと前の人", received_at=days_ago(30))
        call_command("resend_letter_notifications")
        assert "1 件のお便りについて、スタッフに通知しました。" in capsys.readouterr().out
        assert [m.subject for m in mail.outbox] == ["[お便り] 届かなかった人さんから"]
        missed.refresh_from_db()
        assert missed.notified_at is not None
        call_command("resend_letter_notifications")
        assert len(mail.outbox) == 1

    def test_days_widens_the_range(self):
        make_letter(radio_name="ずっと前の人", received_at=days_ago(30))
        call_command("resend_letter_notifications", "--days", "60")
        assert len(mail.outbox) == 1

    def test_dry_run(self, capsys):
        make_letter(received_at=days_ago(1))
        call_command("resend_letter_notifications", "--dry-run")
        assert "通知していないお便りは 1 件です" in capsys.readouterr().out
        assert mail.outbox == []

    def test_failure_exits_non_zero_and_keeps_the_letter_pending(self, settings):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
        letter = make_letter(received_at=days_ago(1))
        with pytest.raises(CommandError, match="1 件は送れませんでした"):
            call_command("resend_letter_notifications")
        letter.refresh_from_db()
        assert letter.notified_at is None

    def test_without_recipients_it_is_a_quiet_success_that_names_the_setting(self, settings):
        """Run every few minutes by cron: a site that e-mails nobody must not fail each run."""
        settings.LETTERS_NOTIFY_EMAILS = []
        make_letter(received_at=days_ago(1))
        out = io.StringIO()
        call_command("resend_letter_notifications", stdout=out)
        assert "LETTERS_NOTIFY_EMAILS" in out.getvalue()
        assert "送るものはありません" in out.getvalue()
