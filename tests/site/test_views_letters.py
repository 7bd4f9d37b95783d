"""The letters pages (episodes/site/views.py): the public form, the thanks page, credits on the episode page."""

import html
import re
import socket
from itertools import count

import pytest
from django.core import mail
from django.core.cache import cache
from django.template.loader import render_to_string
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from episodes.catalogue.models import Episode
from episodes.letters.inbox import normalise_text
from episodes.letters.models import Letter
from tests.factories import make_episode, make_show
from tests.letter_factories import letter_data, make_letter

pytestmark = pytest.mark.django_db

ATTACK = '<script>alert("x")</script><img src=x onerror=alert(1)>'
_addresses = count(1)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def new_ip() -> str:
    n = next(_addresses)
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


def csrf_token_in(body: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)


class TestFormPage:
    def test_renders_in_japanese_with_every_field(self, client):
        make_show(name="ずんだもん技術室")
        response = client.get("/letters/")
        assert response.status_code == 200
        body = response.text
        assert "<h1>お便りを送る</h1>" in body
        for name in ("radio_name", "message", "show", "email", "consent_to_air", "website"):
            assert f'name="{name}"' in body
        assert "ずんだもん技術室" in body
        assert "文章を短くしたり" in body  # the note that letters may be edited for length
        assert 'name="csrfmiddlewaretoken"' in body
        assert "css/letters.css" in body

    def test_not_cached_and_no_inline_script_or_style(self, client):
        response = client.get("/letters/")
        assert "no-store" in response["Cache-Control"]
        assert re.findall(r"<script\b(?![^>]*\bsrc=)", response.text) == []  # scripts are files, never inline
        assert "style=" not in response.text
        assert "unsafe-inline" not in response["Content-Security-Policy"]

    def test_link_from_an_episode_preselects_its_show(self, client):
        episode = make_episode(number=550, title="金曜の回")
        make_show()
        body = client.get("/letters/?episode=550").text
        assert f'<option value="{episode.show.pk}" selected>' in body
        assert '<input type="hidden" name="episode" value="550"' in body
        assert "#550 金曜の回" in body

    @pytest.mark.parametrize("value", ["999", "abc", "", "0", "9" * 5000, "%00"])
    def test_unknown_episode_link_shows_the_plain_form(self, client, value):
        make_episode(number=1)
        response = client.get(f"/letters/?episode={value}")
        assert response.status_code == 200
        assert 'name="episode"' not in response.text

    def test_other_methods_refused(self, client):
        assert client.put("/letters/").status_code == 405
        assert client.head("/letters/").status_code == 200


class TestSending:
    def test_a_letter_through_the_real_form_with_csrf(self, settings, django_capture_on_commit_callbacks):
        settings.LETTERS_NOTIFY_EMAILS = ["staff@example.jp"]
        episode = make_episode(number=550)
        browser = Client(enforce_csrf_checks=True)
        page = browser.get("/letters/?episode=550")
        data = letter_data(
            radio_name="ずんだ餅",
            message="こんにちは。\r\n質問です。",
            show=str(episode.show.pk),
            episode="550",
            email="listener@example.jp",
            consent_to_air="on",
            csrfmiddlewaretoken=csrf_token_in(page.text),
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = browser.post("/letters/", data)
        assert response.status_code == 302
        assert response["Location"] == "/letters/thanks/?episode=550"
        letter = Letter.objects.get()
        assert (letter.radio_name, letter.message) == ("ずんだ餅", "こんにちは。\n質問です。")
        assert (letter.show, letter.episode, letter.email, letter.consent_to_air) == (
            episode.show,
            episode,
            "listener@example.jp",
            True,
        )
        assert letter.client_hash and "127.0.0.1" not in letter.client_hash
        assert len(mail.outbox) == 1
        thanks = browser.get(response["Location"])
        assert "お便りをありがとうございました" in thanks.text
        assert 'href="/episode/550"' in thanks.text

    def test_without_the_csrf_token_nothing_is_stored(self):
        browser = Client(enforce_csrf_checks=True)
        browser.get("/letters/")
        response = browser.post("/letters/", letter_data())
        assert response.status_code == 403
        assert not Letter.objects.exists()

    def test_errors_reshow_what_was_typed_next_to_the_field(self, client):
        response = client.post("/letters/", letter_data(radio_name="あ" * 41, message="残しておいてほしい本文"))
        assert response.status_code == 200
        body = response.text
        assert "入力内容をご確認ください。" in body
        assert "残しておいてほしい本文" in body
        assert 'value="' + "あ" * 41 + '"' in body
        error = body.index("ラジオネームは40文字以内でお願いします（いま41文字です）。")
        assert body.index('name="radio_name"') < error < body.index('name="message"')
        assert 'aria-invalid="true"' in body
        assert not Letter.objects.exists()

    def test_lost_episode_is_dropped_visibly_and_the_letter_can_be_resent(self, client):
        data = letter_data(episode="404404")
        response = client.post("/letters/", data)
        assert response.status_code == 200
        assert "エピソードの指定を外しました" in response.text
        assert 'name="episode"' not in response.text
        data.pop("episode")
        assert client.post("/letters/", data).status_code == 302
        assert Letter.objects.get().episode is None

    def test_honeypot_looks_like_success_and_stores_nothing(self, client):
        response = client.post("/letters/", letter_data(website="https://spam.example/"))
        assert response.status_code == 302
        assert response["Location"] == "/letters/thanks/"
        assert not Letter.objects.exists()

    def test_oversized_post_is_refused_not_an_error(self, client):
        response = client.post("/letters/", letter_data(message="あ" * 2_000_000))  # 6 MB encoded
        assert response.status_code == 413  # refused by length before the body is read (episodes/serving/limits.py)
        assert not Letter.objects.exists()

    def test_double_click_stores_one_letter(self, client):
        data = letter_data()
        first = client.post("/letters/", data)
        second = client.post("/letters/", data)
        assert first.status_code == second.status_code == 302
        assert Letter.objects.count() == 1


class TestRateLimit:
    def test_sixth_letter_waits_with_a_clear_message(self, client):
        for n in range(5):
            assert client.post("/letters/", letter_data(message=f"{n}通目")).status_code == 302
        response = client.post("/letters/", letter_data(message="6通目の大事な本文"))
        assert response.status_code == 429
        assert response["Retry-After"] == "600" or 590 <= int(response["Retry-After"]) <= 600
        assert "10分ほどたってから、もう一度「送信する」を押してください。" in response.text
        assert "6通目の大事な本文" in response.text  # nothing typed is lost
        assert Letter.objects.count() == 5

    def test_mistakes_do_not_count(self, client):
        for _ in range(10):
            assert client.post("/letters/", letter_data(message="")).status_code == 200
        for n in range(5):
            assert client.post("/letters/", letter_data(message=f"{n}")).status_code == 302

    def test_resubmitting_the_last_letter_still_says_thanks(self, client):
        for n in range(4):
            client.post("/letters/", letter_data(message=f"{n}"))
        last = letter_data(message="5通目")
        assert client.post("/letters/", last).status_code == 302
        assert client.post("/letters/", last).status_code == 302
        assert Letter.objects.count() == 5

    def test_each_address_has_its_own_limit(self, client):
        for n in range(5):
            client.post("/letters/", letter_data(message=f"{n}"), REMOTE_ADDR="203.0.113.1")
        assert client.post("/letters/", letter_data(), REMOTE_ADDR="203.0.113.1").status_code == 429
        assert client.post("/letters/", letter_data(), REMOTE_ADDR="203.0.113.2").status_code == 302

    def test_forwarded_header_counts_only_when_trusted(self, client, settings):
        spoofed = [f"198.51.100.{n}" for n in range(6)]
        for n, ip in enumerate(spoofed):
            response = client.post("/letters/", letter_data(message=f"{n}"), HTTP_X_FORWARDED_FOR=ip)
        assert response.status_code == 429  # one REMOTE_ADDR, whatever the header claims
        settings.TRUSTED_CLIENT_IP_HEADER = "X-Forwarded-For"
        response = client.post("/letters/", letter_data(), HTTP_X_FORWARDED_FOR="198.51.100.200")
        assert response.status_code == 302

    def test_honeypot_counts_against_the_sender(self, client):
        for _ in range(5):
            client.post("/letters/", letter_data(website="spam"))
        assert client.post("/letters/", letter_data()).status_code == 429


@pytest.mark.django_db(transaction=True)
class TestAfterCommit:
    """Real commits (no test transaction around them): the notification follows the INSERT."""

    def test_staff_notified_after_the_letter_is_committed(self, client, settings):
        settings.LETTERS_NOTIFY_EMAILS = ["staff@example.jp"]
        response = client.post("/letters/", letter_data(radio_name="コミット後"))
        assert response.status_code == 302
        assert [m.subject for m in mail.outbox] == ["[お便り] コミット後さんから"]
        assert Letter.objects.get().notified_at is not None

    def test_mail_server_down_still_thanks_and_keeps_the_letter(self, client, settings):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        settings.LETTERS_NOTIFY_EMAILS = ["staff@example.jp"]
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
        response = client.post("/letters/", letter_data(radio_name="届いた人"))
        assert response.status_code == 302
        letter = Letter.objects.get()
        assert letter.radio_name == "届いた人"
        assert letter.notified_at is None


class TestEscaping:
    def test_markup_in_every_field_is_shown_as_text(self, client):
        data = letter_data(
            radio_name=ATTACK[:40],
            message=ATTACK,
            email=ATTACK,
            show=ATTACK,
            episode=ATTACK,
            consent_to_air=ATTACK,
        )
        response = client.post("/letters/", data)
        assert response.status_code == 200
        body = response.text
        assert "<script>alert" not in body
        assert "<img src=x" not in body
        assert html.escape(ATTACK) in body  # the message, re-shown as typed
        assert 'value="' + html.escape(ATTACK[:40]) + '"' in body


class TestThanksPage:
    def test_plain(self, client):
        response = client.get("/letters/thanks/")
        assert response.status_code == 200
        assert "お便りをありがとうございました" in response.text
        assert 'name="robots" content="noindex"' in response.text

    def test_no_link_to_an_unpublished_episode(self, client):
        make_episode(number=31, status=Episode.Status.DRAFT)
        assert "/episode/31" not in client.get("/letters/thanks/?episode=31").text


class TestEpisodePageCredits:
    def test_only_consenting_radio_names_and_nothing_else(self, client):
        episode = make_episode(number=700)
        make_letter(
            radio_name="名前を出してよい人",
            message="秘密の本文",
            email="hidden@example.jp",
            consent_to_air=True,
            status=Letter.Status.AIRED,
            aired_in=episode,
        )
        make_letter(radio_name="名前は出さない人", status=Letter.Status.AIRED, aired_in=episode)
        make_letter(radio_name="まだ読まれていない人", consent_to_air=True, episode=episode)
        response = client.get("/episode/700")
        shown = response.context["episode"].credited_letters
        assert [letter.radio_name for letter in shown] == ["名前を出してよい人"]
        snippet = render_to_string("includes/aired_letters.html", {"episode": response.context["episode"]})
        assert "名前を出してよい人さん" in snippet
        assert "名前を出してよい人さん" in response.text  # wired into the episode page
        for secret in ("秘密の本文", "hidden@example.jp", "名前は出さない人", "まだ読まれていない人"):
            assert secret not in snippet
            assert secret not in response.text

    def test_radio_names_escaped(self, client):
        episode = make_episode(number=701)
        make_letter(radio_name=ATTACK[:40], consent_to_air=True, status=Letter.Status.AIRED, aired_in=episode)
        episode_in_page = client.get("/episode/701").context["episode"]
        snippet = render_to_string("includes/aired_letters.html", {"episode": episode_in_page})
        assert "<script>" not in snippet
        assert "&lt;script&gt;" in snippet

    def test_nothing_without_credits(self, client):
        make_episode(number=702)
        episode_in_page = client.get("/episode/702").context["episode"]
        assert render_to_string("includes/aired_letters.html", {"episode": episode_in_page}).strip() == ""

    def test_query_count_does_not_grow_with_letters(self, client, django_assert_max_num_queries):
        episode = make_episode(number=703)
        for n in range(30):
            make_letter(radio_name=f"人{n}", consent_to_air=True, status=Letter.Status.AIRED, aired_in=episode)
        with django_assert_max_num_queries(8):
            response = client.get("/episode/703")
            render_to_string("includes/aired_letters.html", {"episode": response.context["episode"]})
        assert len(response.context["episode"].credited_letters) == 30


HOSTILE = [ATTACK, "=1+1", "\x00", "\r\n\r\n", "　", "\u202e", "🍡" * 2001, "か\u3099" * 41]


def mostly(usual, unusual):
    """`usual` seven times in eight, so that most examples get as far as storing."""
    return st.integers(0, 7).flatmap(lambda n: unusual if n == 0 else usual)


def field_values(show_pk: int) -> dict:
    """What a listener might send, with hostile values mixed into every field."""
    return {
        "radio_name": mostly(st.text(min_size=1, max_size=40), st.sampled_from(HOSTILE) | st.text(max_size=60)),
        "message": mostly(st.text(min_size=1, max_size=2000), st.sampled_from(HOSTILE) | st.text(max_size=2100)),
        "show": mostly(st.sampled_from(["", str(show_pk)]), st.sampled_from(["abc", "-5", "9" * 30]) | st.text()),
        "episode": mostly(st.sampled_from(["", "1"]), st.sampled_from(["900", "0", "9" * 5000]) | st.text()),
        "email": mostly(st.sampled_from(["", "listener@example.jp"]), st.sampled_from([ATTACK, "a@b"]) | st.text()),
        "consent_to_air": st.sampled_from(["", "on", "false", "0", "1"]) | st.text(max_size=3),
        "website": mostly(st.just(""), st.text(min_size=1)),
    }


class TestGeneratedInput:
    @pytest.fixture
    def episode_one(self):
        return make_episode(number=1)

    @settings(
        max_examples=150,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(draw=st.data())
    def test_never_a_500_and_never_a_partial_letter(self, client, episode_one, draw):
        data = draw.draw(st.fixed_dictionaries(field_values(episode_one.show_id)))
        before = Letter.objects.count()
        response = client.post("/letters/", data, REMOTE_ADDR=new_ip())
        assert response.status_code in {200, 302}
        stored = Letter.objects.count() - before
        if response.status_code == 200 or data["website"].strip():
            assert stored == 0
            return
        assert stored == 1
        letter = Letter.objects.latest("id")
        assert letter.radio_name == normalise_text(data["radio_name"], multiline=False)
        assert letter.message == normalise_text(data["message"], multiline=True)
        assert letter.email == data["email"].strip()
        assert letter.episode_id == (episode_one.pk if data["episode"].strip() else None)
        assert 0 < len(letter.radio_name) <= 40 and 0 < len(letter.message) <= 2000


@pytest.mark.django_db
def test_letter_pages_cost_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for n in range(20):
        make_show(slug=f"show-{n}")
    episode = make_episode(number=900)
    with django_assert_max_num_queries(4):
        assert client.get(f"/letters/?episode={episode.number}").status_code == 200
    with django_assert_max_num_queries(3):
        assert client.get(f"/letters/thanks/?episode={episode.number}").status_code == 200


@pytest.mark.django_db
class TestExpiredForm:
    def test_a_letter_posted_without_a_valid_token_comes_back_filled_in(self):
        client = Client(enforce_csrf_checks=True)
        response = client.post(
            "/letters/",
            {"radio_name": "消えないで", "message": "長い長いお便り"},
            headers={"Origin": "http://testserver"},
        )
        assert response.status_code == 403
        assert "お便りはまだ届いていません" in response.text
        assert 'value="消えないで"' in response.text
        assert "長い長いお便り" in response.text
        assert 'name="csrfmiddlewaretoken"' in response.text
        assert not Letter.objects.exists()

    @pytest.mark.parametrize(
        "headers",
        [{"Origin": "https://attacker.example"}, {"Referer": "https://attacker.example/x"}, {}, {"Origin": "null"}],
    )
    def test_a_cross_site_post_is_not_shown_back(self, headers):
        """Issue 12, finding 14: another site's POST came back as the victim's own letter, ready to send."""
        client = Client(enforce_csrf_checks=True)
        data = {"radio_name": "攻撃者", "message": "攻撃者の文面", "email": "victim@example.jp", "consent_to_air": "on"}

        response = client.post("/letters/", data, headers=headers)

        assert response.status_code == 403
        assert "攻撃者の文面" not in response.text
        assert "victim@example.jp" not in response.text
        assert 'name="csrfmiddlewaretoken"' not in response.text

    @pytest.mark.parametrize("headers", [{"Origin": "http://testserver"}, {"Referer": "http://testserver/letters/"}])
    def test_the_address_and_consent_are_never_put_back(self, headers):
        client = Client(enforce_csrf_checks=True)
        data = {"radio_name": "わたし", "message": "本文", "email": "me@example.jp", "consent_to_air": "on"}

        response = client.post("/letters/", data, headers=headers)

        assert response.status_code == 403
        assert "本文" in response.text
        assert "me@example.jp" not in response.text
        assert not re.search(r'name="consent_to_air"[^>]*checked', response.text)

    def test_other_pages_keep_djangos_csrf_page(self):
        client = Client(enforce_csrf_checks=True)
        response = client.post("/admin/login/", {"username": "x", "password": "y"})
        assert response.status_code == 403
        assert "お便り" not in response.content.decode()
