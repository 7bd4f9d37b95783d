"""Forms for the public site: the listeners' letter form (お便り)."""

from django import forms
from django.core.exceptions import ValidationError

from episodes.catalogue.models import Episode, Show
from episodes.letters.inbox import normalise_text
from episodes.letters.models import MESSAGE_MAX, RADIO_NAME_MAX

# Episode numbers are PositiveIntegerField: anything above does not exist.
EPISODE_NUMBER_MAX = 2_147_483_647
EMAIL_MAX = 254  # the model's EmailField


def linked_episode(value) -> Episode | None:
    """The public episode a `?episode=<number>` link names, or None for anything else."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    if not 1 <= number <= EPISODE_NUMBER_MAX:
        return None
    return Episode.objects.published().select_related("show").filter(number=number).first()


class ListenerTextField(forms.CharField):
    """Text normalised before validation, so limits count what the listener sees."""

    def __init__(self, *, multiline: bool, **kwargs):
        self.multiline = multiline
        super().__init__(strip=False, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return normalise_text(value, multiline=self.multiline) if value else value

    def prepare_value(self, value):
        # Re-shown text keeps what was typed, minus characters we would drop anyway.
        if isinstance(value, str) and value:
            return normalise_text(value, multiline=self.multiline)
        return value


class LetterForm(forms.Form):
    """What a listener fills in; `website` is a honeypot that only bots see."""

    radio_name = ListenerTextField(
        label="ラジオネーム",
        multiline=False,
        max_length=RADIO_NAME_MAX,
        help_text=f"番組の中でお呼びするお名前です。本名でなくてかまいません（{RADIO_NAME_MAX}文字まで）。",
        error_messages={
            "required": "ラジオネームを入力してください。",
            "max_length": "ラジオネームは%(limit_value)d文字以内でお願いします（いま%(show_value)d文字です）。",
        },
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )
    message = ListenerTextField(
        label="メッセージ",
        multiline=True,
        max_length=MESSAGE_MAX,
        help_text=f"番組の感想、ご質問、取り上げてほしい話題など、ご自由にどうぞ（{MESSAGE_MAX:,}文字まで）。",
        error_messages={
            "required": "メッセージを入力してください。",
            "max_length": "メッセージは%(limit_value)s文字以内でお願いします（いま%(show_value)s文字です）。",
        },
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    show = forms.ModelChoiceField(
        queryset=Show.objects.public(),
        required=False,
        label="番組",
        empty_label="番組を指定しない",
        help_text="どの番組へのお便りか、わかれば選んでください。",
        error_messages={"invalid_choice": "番組は一覧の中から選んでください。"},
    )
    episode = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=EPISODE_NUMBER_MAX,
        widget=forms.HiddenInput,
        error_messages={
            "invalid": "お便りのエピソードを読み取れませんでした。",
            "min_value": "お便りのエピソードを読み取れませんでした。",
            "max_value": "お便りのエピソードを読み取れませんでした。",
        },
    )
    email = forms.EmailField(
        required=False,
        max_length=EMAIL_MAX,
        label="メールアドレス（任意）",
        help_text="お返事を差し上げる場合にだけ使います。公開することはありません。",
        error_messages={
            "invalid": "メールアドレスの形が正しくないようです。ご確認ください。",
            "max_length": "メールアドレスが長すぎます（%(limit_value)d文字まで）。",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    consent_to_air = forms.BooleanField(required=False, label="このお便りを番組の中で読み上げてもかまいません")
    website = forms.CharField(
        required=False,
        label="ウェブサイト（入力しないでください）",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, episode: Episode | None = None, **kwargs):
        if episode is not None:
            kwargs.setdefault("initial", {}).update({"episode": episode.number, "show": episode.show_id})
        super().__init__(*args, **kwargs)
        self._linked_episode = episode

    def clean_episode(self):
        number = self.cleaned_data.get("episode")
        if number is None:
            return None
        episode = linked_episode(number)
        if episode is None:
            raise ValidationError("このエピソードは見つかりませんでした。", code="unknown_episode")
        return episode

    def clean(self):
        cleaned = super().clean()
        episode = cleaned.get("episode")
        if episode is not None and cleaned.get("show") is None and "show" not in self.errors:
            cleaned["show"] = episode.show
        return cleaned

    @property
    def caught_by_honeypot(self) -> bool:
        """True when the field humans never see was filled in."""
        return bool(str(self.data.get("website", "")).strip())

    @property
    def referred_episode(self) -> Episode | None:
        """The episode the letter is about, as far as it is known and valid."""
        if not self.is_bound:
            return self._linked_episode
        return getattr(self, "cleaned_data", {}).get("episode")

    def letter_fields(self) -> dict:
        """The cleaned values `letters.submit_letter` takes."""
        data = self.cleaned_data
        return {
            "radio_name": data["radio_name"],
            "message": data["message"],
            "show": data.get("show"),
            "episode": data.get("episode"),
            "email": data.get("email", ""),
            "consent_to_air": bool(data.get("consent_to_air")),
        }
