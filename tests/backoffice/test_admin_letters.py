"""The letters inbox (episodes/backoffice/admin/letters.py): list, filters, actions, CSV, escaping, the episode inline."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone
from django.utils.http import urlencode

from episodes.backoffice.admin.letters import AiredLetterInline, csv_cell
from episodes.catalogue.models import Episode
from episodes.letters.models import Letter
from tests.factories import episode_form, make_episode, make_show
from tests.letter_factories import make_letter

pytestmark = pytest.mark.django_db

LIST = "/admin/letters/letter/"
ATTACK = '<script>alert("x")</script><img src=x onerror=alert(1)>'
QUOTED_ATTACK_EMAIL = '"<script>alert(1)</script>"@example.jp'


def change_url(letter) -> str:
    return f"{LIST}{letter.pk}/change/"


def run_action(client, action, letters, *, follow=False):
    return client.post(LIST, {"action": action, "_selected_action": [str(x.pk) for x in letters]}, follow=follow)


def assert_no_live_markup(body: str) -> None:
    assert "<script>alert" not in body
    assert "<img src=x" not in body
    assert "onerror=alert(1)>" not in body


class TestList:
    def test_columns(self, admin_client):
        show = make_show(name="ずんだもん技術室")
        make_letter(radio_name="ずんだ餅", message="一行目の感想\n二行目", show=show, email="me@example.jp")
        response = admin_client.get(LIST)
        assert response.status_code == 200
        body = response.text
        for text in ("未読", "ずんだ餅", "一行目の感想", "ずんだもん技術室", "受信日時", "メッセージ（1行目）"):
            assert text in body
        assert "二行目" not in body
        assert "me@example.jp" not in body  # addresses only on the letter's own page

    def test_filters_and_search(self, admin_client):
        show, other = make_show(), make_show()
        old = make_letter(radio_name="先月の人", show=show, received_at=timezone.now() - timedelta(days=40))
        new = make_letter(radio_name="今日の人", message="ずんだ餅の話", show=other, status=Letter.Status.PICKED)

        def listed(query):
            return list(admin_client.get(LIST + query).context["cl"].queryset)

        assert listed("?status__exact=picked") == [new]
        assert listed(f"?show__id__exact={show.pk}") == [old]
        # As the date filter's own "過去 7 日間" link sends it: an aware local time.
        since = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=7)
        assert listed("?" + urlencode({"received_at__gte": str(since)})) == [new]
        assert "過去 7 日間" in admin_client.get(LIST).text
        assert listed("?q=ずんだ餅") == [new]
        assert listed("?q=先月") == [old]

    def test_same_sender_lookup_for_abuse_review(self, admin_client):
        mine = make_letter(client_hash="a" * 64)
        make_letter(client_hash="b" * 64)
        response = admin_client.get(f"{LIST}?client_hash={'a' * 64}")
        assert response.status_code == 200
        assert list(response.context["cl"].queryset) == [mine]

    def test_listener_markup_is_text(self, admin_client):
        make_letter(radio_name=ATTACK[:40], message=ATTACK, staff_memo=ATTACK, email=QUOTED_ATTACK_EMAIL)
        body = admin_client.get(LIST).text
        assert_no_live_markup(body)
        assert "&lt;script&gt;" in body

    def test_no_adding_letters_by_hand(self, admin_client):
        assert admin_client.get(f"{LIST}add/").status_code == 403

    def test_staff_without_permission_cannot_read_letters(self, client):
        user = get_user_model().objects.create_user("editor", password="pw-for-tests-0123", is_staff=True)
        user.user_permissions.add(Permission.objects.get(codename="change_episode"))
        client.force_login(user)
        make_letter(email="secret@example.jp")
        assert client.get(LIST).status_code == 403


class TestActions:
    def test_mark_read_only_touches_unread(self, admin_client):
        unread = make_letter()
        picked = make_letter(status=Letter.Status.PICKED)
        run_action(admin_client, "mark_read", [unread, picked])
        assert Letter.objects.get(pk=unread.pk).status == Letter.Status.READ
        assert Letter.objects.get(pk=picked.pk).status == Letter.Status.PICKED

    def test_pick_warns_about_letters_without_consent(self, admin_client):
        willing = make_letter(consent_to_air=True)
        unwilling = make_letter(consent_to_air=False, status=Letter.Status.READ)
        aired = make_letter(status=Letter.Status.AIRED, aired_in=make_episode())
        response = run_action(admin_client, "pick", [willing, unwilling, aired], follow=True)
        statuses = dict(Letter.objects.values_list("pk", "status"))
        assert statuses[willing.pk] == statuses[unwilling.pk] == Letter.Status.PICKED
        assert statuses[aired.pk] == Letter.Status.AIRED
        body = response.text
        assert "2 件を採用にしました。" in body
        assert "うち 1 件は、放送で読まれることに同意していません。" in body
        assert "放送済み・アーカイブの 1 件はそのままにしました。" in body

    def test_archive(self, admin_client):
        letters = [make_letter(), make_letter(status=Letter.Status.AIRED, aired_in=make_episode())]
        run_action(admin_client, "archive", letters)
        assert set(Letter.objects.values_list("status", flat=True)) == {Letter.Status.ARCHIVED}
        assert Letter.objects.filter(aired_in__isnull=False).count() == 1  # where it aired is kept


class TestMarkAired:
    def test_asks_for_the_episode_defaulting_to_the_latest_of_the_show(self, admin_client):
        show = make_show()
        make_episode(show=show, number=10, published_at=timezone.now() - timedelta(days=2))
        latest = make_episode(show=show, number=11, published_at=timezone.now() - timedelta(days=1))
        make_episode(number=12)  # another show's, newer
        make_episode(show=show, number=13, published_at=timezone.now() + timedelta(days=1))  # not aired yet
        letters = [make_letter(show=show, radio_name="ずんだ餅"), make_letter(show=show, status=Letter.Status.PICKED)]
        response = run_action(admin_client, "mark_aired", letters)
        assert response.status_code == 200
        form = response.context["form"]
        assert form.initial["aired_in"] == latest
        assert "ずんだ餅" in response.text
        assert Letter.objects.filter(status=Letter.Status.AIRED).count() == 0

    def test_apply_marks_them_aired_in_the_episode(self, admin_client):
        show = make_show()
        episode = make_episode(show=show)
        willing = make_letter(show=show, consent_to_air=True)
        unwilling = make_letter(show=show)
        archived = make_letter(status=Letter.Status.ARCHIVED)
        data = {
            "action": "mark_aired",
            "apply": "放送済みにする",
            "aired_in": str(episode.pk),
            "_selected_action": [str(x.pk) for x in (willing, unwilling, archived)],
        }
        response = admin_client.post(LIST, data, follow=True)
        assert "2 件を放送済みにしました" in response.text
        assert "うち 1 件は読み上げの同意がない" in response.text
        assert "アーカイブ済みの 1 件はそのままにしました" in response.text
        statuses = dict(Letter.objects.values_list("pk", "status"))
        assert statuses[willing.pk] == statuses[unwilling.pk] == Letter.Status.AIRED
        assert statuses[archived.pk] == Letter.Status.ARCHIVED
        assert Letter.objects.get(pk=willing.pk).aired_in == episode
        # The page credits the consenting sender at once.
        assert willing.radio_name in admin_client.get(episode.get_absolute_url()).text

    def test_without_an_episode_nothing_changes(self, admin_client):
        letter = make_letter()
        data = {"action": "mark_aired", "apply": "1", "aired_in": "", "_selected_action": [str(letter.pk)]}
        response = admin_client.post(LIST, data)
        assert response.status_code == 200
        assert "エピソードを選んでください" in response.text
        assert Letter.objects.get(pk=letter.pk).status == Letter.Status.NEW

    def test_delete_is_the_last_action(self, admin_client):
        make_letter()
        choices = [value for value, _ in admin_client.get(LIST).context["action_form"].fields["action"].choices]
        assert choices[-1] == "delete_selected"
        assert choices.index("mark_aired") < choices.index("archive")

    def test_aired_needs_the_episode_in_the_letter_form(self, admin_client):
        letter = make_letter()
        response = admin_client.post(
            change_url(letter), {"show": "", "status": "aired", "aired_in": "", "staff_memo": ""}
        )
        assert response.status_code == 200
        assert "紹介したエピソードを選んでください" in response.text
        assert Letter.objects.get(pk=letter.pk).status == Letter.Status.NEW


class TestCsvExport:
    def export(self, client, letters) -> bytes:
        response = run_action(client, "export_csv", letters)
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"].startswith('attachment; filename="letters-')
        return response.content

    def test_opens_with_the_right_columns(self, admin_client):
        episode = make_episode(number=550)
        first = make_letter(
            radio_name="ずんだ餅",
            message='一行目\n二行目, "引用"あり',
            show=episode.show,
            episode=episode,
            email="me@example.jp",
            consent_to_air=True,
            received_at=timezone.now() - timedelta(hours=1),
        )
        second = make_letter(radio_name="つむぎ", status=Letter.Status.AIRED, aired_in=episode, staff_memo="来週読む")
        content = self.export(admin_client, [second, first])
        assert content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
        assert rows[0] == [
            "ID",
            "受信日時",
            "状態",
            "ラジオネーム",
            "メッセージ",
            "番組",
            "話題のエピソード",
            "紹介したエピソード",
            "放送で読まれてもよい",
            "返信用メールアドレス",
            "スタッフメモ",
        ]
        assert len(rows) == 3
        by_name = {row[3]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
        assert [row[3] for row in rows[1:]] == ["ずんだ餅", "つむぎ"]  # oldest first
        zunda = by_name["ずんだ餅"]
        assert zunda["メッセージ"] == '一行目\n二行目, "引用"あり'
        assert zunda["状態"] == "未読"
        assert zunda["番組"] == episode.show.name
        assert zunda["話題のエピソード"] == "550"
        assert zunda["放送で読まれてもよい"] == "はい"
        assert zunda["返信用メールアドレス"] == "me@example.jp"
        assert zunda["受信日時"] == timezone.localtime(first.received_at).strftime("%Y-%m-%d %H:%M:%S")
        assert by_name["つむぎ"]["紹介したエピソード"] == "550"
        assert by_name["つむぎ"]["スタッフメモ"] == "来週読む"

    def test_formula_injection_guarded(self, admin_client):
        letter = make_letter(radio_name='=HYPERLINK("x")', message="+1+1", staff_memo="@SUM(A1)")
        make_letter(radio_name="-2", message="＝全角も", email="")
        rows = list(csv.reader(io.StringIO(self.export(admin_client, Letter.objects.all()).decode("utf-8-sig"))))
        cells = {cell for row in rows[1:] for cell in row}
        assert {'\'=HYPERLINK("x")', "'+1+1", "'@SUM(A1)", "'-2", "'＝全角も"} <= cells
        assert str(letter.pk) in cells

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("=1+1", "'=1+1"),
            ("+81", "'+81"),
            ("-", "'-"),
            ("@x", "'@x"),
            ("\tx", "'\tx"),
            ("＠x", "'＠x"),
            ("ふつう=1", "ふつう=1"),
            ("", ""),
            (None, ""),
            (12, "12"),
        ],
    )
    def test_csv_cell(self, value, expected):
        assert csv_cell(value) == expected


class TestLetterPage:
    def test_opening_an_unread_letter_marks_it_read(self, admin_client):
        letter = make_letter()
        assert admin_client.get(change_url(letter)).status_code == 200
        letter.refresh_from_db()
        assert letter.status == Letter.Status.READ

    def test_unknown_ids_are_not_errors(self, admin_client):
        assert admin_client.get(f"{LIST}abc/change/").status_code == 302
        assert admin_client.get(f"{LIST}999999/change/").status_code == 302

    def test_everything_a_listener_wrote_is_text(self, admin_client):
        letter = make_letter(
            radio_name=ATTACK[:40], message=ATTACK, staff_memo=ATTACK, email=QUOTED_ATTACK_EMAIL, client_hash="c" * 64
        )
        body = admin_client.get(change_url(letter)).text
        assert_no_live_markup(body)
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body
        assert 'href="mailto:&quot;&lt;script&gt;' in body

    def test_listener_fields_cannot_be_changed(self, admin_client):
        letter = make_letter(radio_name="本人", message="本文")
        response = admin_client.post(
            change_url(letter),
            {"radio_name": "書き換え", "message": "書き換え", "show": "", "status": "read", "staff_memo": "メモ"},
        )
        assert response.status_code == 302
        letter.refresh_from_db()
        assert (letter.radio_name, letter.message, letter.staff_memo) == ("本人", "本文", "メモ")

    def test_choosing_the_aired_episode_marks_it_aired(self, admin_client):
        letter = make_letter(status=Letter.Status.PICKED, consent_to_air=True)
        episode = make_episode()
        response = admin_client.post(
            change_url(letter), {"show": "", "status": "picked", "aired_in": str(episode.pk), "staff_memo": ""}
        )
        assert response.status_code == 302
        letter.refresh_from_db()
        assert (letter.status, letter.aired_in) == (Letter.Status.AIRED, episode)


class TestAiredLetterInline:
    @pytest.fixture
    def episode_admin(self):
        """The episode admin, which shows the inline (wired in `episodes/backoffice/admin/content.py`)."""
        model_admin = admin.site._registry[Episode]
        assert AiredLetterInline in model_admin.inlines
        return model_admin

    def test_lists_the_letters_aired_in_the_episode(self, admin_client, episode_admin):
        episode = make_episode()
        make_letter(radio_name=ATTACK[:40], message=ATTACK, status=Letter.Status.AIRED, aired_in=episode)
        make_letter(radio_name="別の回の人", status=Letter.Status.AIRED, aired_in=make_episode())
        body = admin_client.get(f"/admin/catalogue/episode/{episode.pk}/change/").text
        assert "この回で紹介したお便り" in body
        assert "別の回の人" not in body
        assert_no_live_markup(body)
        assert "&lt;script&gt;" in body

    def test_episode_saves_without_the_inline_in_the_post(self, admin_client, episode_admin):
        episode = make_episode(number=100)
        letter = make_letter(status=Letter.Status.AIRED, aired_in=episode)
        data = episode_form(episode.show, number=100, title="直したタイトル")
        response = admin_client.post(f"/admin/catalogue/episode/{episode.pk}/change/", data)
        assert response.status_code == 302, response.context["errors"] if response.context else response
        assert Episode.objects.get(pk=episode.pk).title == "直したタイトル"
        assert Letter.objects.get(pk=letter.pk).aired_in == episode
