"""The letters form (episodes/letters/forms.py): every field's limits, counted as the listener counts."""

import unicodedata
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from episodes.catalogue.models import Episode
from episodes.letters.forms import LetterForm, linked_episode
from tests.factories import make_episode
from tests.letter_factories import letter_data

pytestmark = pytest.mark.django_db

GA_DECOMPOSED = unicodedata.normalize("NFD", "が")  # か + combining dakuten: two code points


def form_for(**overrides) -> LetterForm:
    return LetterForm(letter_data(**overrides))


class TestRadioName:
    def test_forty_characters_fit(self):
        form = form_for(radio_name="あ" * 40)
        assert form.is_valid(), form.errors
        assert form.cleaned_data["radio_name"] == "あ" * 40

    def test_forty_one_do_not_and_the_message_says_how_many(self):
        form = form_for(radio_name="あ" * 41)
        assert not form.is_valid()
        assert form.errors["radio_name"] == ["ラジオネームは40文字以内でお願いします（いま41文字です）。"]

    @pytest.mark.parametrize("value", ["", "   ", "　", "\x00\x01", "\r\n\t"])
    def test_required(self, value):
        form = form_for(radio_name=value)
        assert not form.is_valid()
        assert form.errors["radio_name"] == ["ラジオネームを入力してください。"]

    def test_decomposed_characters_count_once(self):
        form = form_for(radio_name=GA_DECOMPOSED * 40)
        assert form.is_valid(), form.errors
        assert form.cleaned_data["radio_name"] == "が" * 40

    def test_one_line_without_control_characters(self):
        form = form_for(radio_name=" ずんだ\r\nもち\tさん\x00\u202e ")
        assert form.is_valid()
        assert form.cleaned_data["radio_name"] == "ずんだ もち さん"

    def test_input_limits_typing_in_the_browser(self):
        assert 'maxlength="40"' in str(LetterForm()["radio_name"])


class TestMessage:
    def test_two_thousand_characters_fit(self):
        form = form_for(message="あ" * 2000)
        assert form.is_valid(), form.errors

    def test_two_thousand_and_one_do_not(self):
        form = form_for(message="あ" * 2001)
        assert not form.is_valid()
        assert form.errors["message"] == ["メッセージは2000文字以内でお願いします（いま2001文字です）。"]

    def test_a_browser_line_break_counts_as_one(self):
        message = "あ" * 999 + "\r\n" + "い" * 1000
        form = form_for(message=message)
        assert form.is_valid(), form.errors
        assert form.cleaned_data["message"] == "あ" * 999 + "\n" + "い" * 1000
        assert len(form.cleaned_data["message"]) == 2000

    def test_counted_after_nfc(self):
        form = form_for(message=GA_DECOMPOSED * 2000)
        assert form.is_valid(), form.errors
        assert form.cleaned_data["message"] == "が" * 2000

    def test_emoji_outside_the_bmp_count_once(self):
        assert form_for(message="🍡" * 2000).is_valid()

    @pytest.mark.parametrize("value", ["", "\r\n\r\n", "　\n \n", "\x00", "\x07\x1b"])
    def test_required(self, value):
        form = form_for(message=value)
        assert not form.is_valid()
        assert form.errors["message"] == ["メッセージを入力してください。"]

    def test_stray_characters_removed_and_blank_lines_trimmed(self):
        form = form_for(message="\r\n \r\n　こんにちは\x00、\x1bずんだもん\u202eさん。\r\n\r\n二段落目。\r\n\r\n\r\n")
        assert form.is_valid()
        # The first line keeps its full-width indentation; the blank line between paragraphs stays.
        assert form.cleaned_data["message"] == "　こんにちは、ずんだもんさん。\n\n二段落目。"

    def test_textarea_limits_typing_in_the_browser(self):
        assert 'maxlength="2000"' in str(LetterForm()["message"])


class TestEmail:
    def test_optional(self):
        form = form_for(email="")
        assert form.is_valid()
        assert form.cleaned_data["email"] == ""

    def test_valid_address_kept(self):
        form = form_for(email=" listener@example.jp ")
        assert form.is_valid()
        assert form.cleaned_data["email"] == "listener@example.jp"

    @pytest.mark.parametrize("value", ["not-an-address", "a@b", "ずんだ@", "a@example.com\r\nBcc: x@example.com"])
    def test_invalid_address(self, value):
        form = form_for(email=value)
        assert not form.is_valid()
        assert form.errors["email"] == ["メールアドレスの形が正しくないようです。ご確認ください。"]

    def test_no_longer_than_the_column(self):
        form = form_for(email="a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 60 + ".jp")
        assert not form.is_valid()
        assert "メールアドレスが長すぎます（254文字まで）。" in form.errors["email"]


class TestShowAndEpisode:
    def test_show_is_optional_and_chosen_from_the_list(self):
        show = make_episode().show
        assert form_for(show="").is_valid()
        form = form_for(show=str(show.pk))
        assert form.is_valid()
        assert form.cleaned_data["show"] == show

    @pytest.mark.parametrize("value", ["999999", "abc", "1" * 40, "-1"])
    def test_unknown_show(self, value):
        form = form_for(show=value)
        assert not form.is_valid()
        assert form.errors["show"] == ["番組は一覧の中から選んでください。"]

    def test_episode_from_the_link_brings_its_show(self):
        episode = make_episode(number=550)
        form = form_for(episode="550")
        assert form.is_valid(), form.errors
        assert form.cleaned_data["episode"] == episode
        assert form.cleaned_data["show"] == episode.show
        assert form.referred_episode == episode

    def test_listener_may_choose_another_show(self):
        make_episode(number=551)
        other = make_episode().show
        form = form_for(episode="551", show=str(other.pk))
        assert form.is_valid()
        assert form.cleaned_data["show"] == other

    @pytest.mark.parametrize("value", ["12345", "0", "-3", "abc", "9" * 30, "9" * 5000])
    def test_unknown_episode(self, value):
        form = form_for(episode=value)
        assert not form.is_valid()
        assert "episode" in form.errors
        assert form.referred_episode is None

    def test_unpublished_episodes_cannot_be_referred_to(self):
        make_episode(number=600, status=Episode.Status.DRAFT)
        make_episode(number=601, published_at=timezone.now() + timedelta(days=1))
        assert not form_for(episode="600").is_valid()
        assert not form_for(episode="601").is_valid()

    def test_unbound_form_preselects_the_linked_episode(self):
        episode = make_episode(number=552)
        form = LetterForm(episode=linked_episode("552"))
        assert form["show"].value() == episode.show_id
        assert form["episode"].value() == 552
        assert form.referred_episode == episode

    @pytest.mark.parametrize("value", [None, "", "abc", "0", "1e3", "9" * 5000, "\x00"])
    def test_linked_episode_ignores_anything_else(self, value):
        make_episode(number=1)
        assert linked_episode(value) is None


class TestConsentAndHoneypot:
    def test_consent_is_unchecked_until_ticked(self):
        assert "checked" not in str(LetterForm()["consent_to_air"])
        form = form_for()
        assert form.is_valid()
        assert form.cleaned_data["consent_to_air"] is False
        ticked = form_for(consent_to_air="on")
        assert ticked.is_valid()
        assert ticked.cleaned_data["consent_to_air"] is True

    def test_honeypot(self):
        assert not form_for().caught_by_honeypot
        assert form_for(website="http://spam.example").caught_by_honeypot
        assert form_for(website="   ").caught_by_honeypot is False

    def test_honeypot_is_out_of_the_keyboards_way(self):
        html = str(LetterForm()["website"])
        assert 'tabindex="-1"' in html
        assert 'autocomplete="off"' in html


FIELD_TEXT = st.text(max_size=2100) | st.sampled_from(["", " ", "\x00", "\r\n", "1", "550", "on"])


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.fixed_dictionaries(
        {},
        optional=dict.fromkeys(
            ("radio_name", "message", "show", "episode", "email", "consent_to_air", "website"), FIELD_TEXT
        ),
    )
)
def test_any_input_validates_without_raising_and_cleans_within_limits(data):
    form = LetterForm(data)
    if not form.is_valid():
        assert form.errors
        return
    cleaned = form.cleaned_data
    for name, limit in (("radio_name", 40), ("message", 2000)):
        value = cleaned[name]
        assert 0 < len(value) <= limit
        assert value == unicodedata.normalize("NFC", value)
        assert not any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in value)
    assert "\n" not in cleaned["radio_name"]
    assert "\r" not in cleaned["message"]
