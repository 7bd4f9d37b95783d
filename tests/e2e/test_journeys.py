"""People's journeys through the real site in a real browser (issue 7).

An editor publishes an episode from the admin (MP3 upload, two articles written
in the Markdown editor, the cast, 公開); a listener on a phone finds it, lets
the player read its length, opens the YouTube version and sends a letter, which
the editor then finds in the inbox. Every step leaves a screenshot, and no
public page may log a console error or a Content Security Policy violation.

The second journey needs the episode the first one published, so they run in
this order in one module and share `journey`.
"""

import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
expect = sync_api.expect

# No pytest-django database fixture is requested here: the server has its own SQLite.
pytestmark = pytest.mark.e2e

TONE_MP3 = Path(__file__).resolve().parents[1] / "data" / "tone.mp3"
YOUTUBE_ID = "0aR63e1eKtA"
RUN = uuid.uuid4().hex[:6]  # tells this run's episode and letter apart from anything else


@dataclass
class Article:
    title: str
    url: str
    summary: str  # typed into the markdownx editor
    bold: str  # what the preview must show in <strong>


ARTICLES = [
    Article(
        title="量子コンピューターの誤り訂正が前進",
        url="https://example.com/news/quantum",
        summary="**誤り訂正**の新しい手法が発表されました。\n\n- 論理量子ビットの寿命が延びた\n- 実用化はまだ先",
        bold="誤り訂正",
    ),
    Article(
        title="ブラウザの新しいメディア API",
        url="https://example.com/news/media-api",
        summary="音声の *メタデータ* を読むだけなら **Range リクエスト**で十分です。",
        bold="Range リクエスト",
    ),
]
CAST = ["ずんだもん", "春日部つむぎ"]


@dataclass
class Journey:
    number: int | None = None
    title: str = ""


@pytest.fixture(scope="module")
def journey() -> Journey:
    return Journey()


def assert_clean(problems: list[str], *tabs) -> None:
    """Fail with every problem the journey met, and every public page's console errors."""
    lines = list(problems)
    for tab in tabs:
        for url, errors in tab.watch.take_public_errors().items():
            lines.append(f"{tab.role}: console errors / CSP violations on {url}:")
            lines.extend(f"    {error}" for error in errors)
    assert not lines, "\n".join(lines)


def log_in(page, server) -> None:
    page.goto(server.url + "/admin/")
    if "/admin/login/" not in page.url:
        return
    page.fill("#id_username", server.username)
    page.fill("#id_password", server.password)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text(re.compile(re.escape(server.username), re.IGNORECASE))


def test_editor_publishes_an_episode(server, editor, shots, journey):
    page = editor.page
    problems: list[str] = []

    # Log in to the Japanese admin.
    page.goto(server.url + "/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    page.fill("#id_username", server.username)
    page.fill("#id_password", server.password)
    shots.take(page, "editor-login", "管理画面のログイン画面（ユーザー名とパスワードを入力済み）")
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_contain_text("zundapod 管理画面")

    # エピソード → 追加: the form comes pre-filled with the next number.
    page.locator("tr.model-episode th a").click()
    expect(page.locator("#content h1")).to_contain_text("エピソード")
    page.locator(".object-tools a.addlink").click()
    expect(page).to_have_url(re.compile(r"/admin/episodes/episode/add/$"))
    number = int(page.input_value("#id_number"))
    title = f"ブラウザで作ったエピソード {RUN}"
    page.fill("#id_title", title)
    page.select_option("#id_status", label="公開")
    page.fill("#id_description", "エディターがブラウザで作り、公開したエピソードです。")
    page.set_input_files("#id_audio_file", str(TONE_MP3))
    page.fill("#id_youtube_url", f"https://youtu.be/{YOUTUBE_ID}")
    shots.take(page, "editor-episode-form", f"新しいエピソード #{number}: タイトル・状態「公開」・MP3 を入力")

    # The cast, through the autocomplete (select2): click, type, pick.
    cast_group = page.locator("#appearances-group")
    for index, name in enumerate(CAST):
        cast_group.locator(".add-row a").click()
        row = page.locator(f"#appearances-{index}")
        row.locator(f"#id_appearances-{index}-position").fill(str(index))
        row.locator(".select2-selection").click()
        page.locator(".select2-container--open .select2-search__field").fill(name)
        page.locator(".select2-results__option", has_text=re.compile(rf"^{re.escape(name)}$")).click()
        expect(row.locator(".select2-selection__rendered")).to_have_text(name)
    shots.take(page, "editor-cast", "出演者を自動補完で 2 人選んだところ", locator=cast_group)

    # Two linked articles, their summaries typed into the markdownx editor.
    articles_group = page.locator("#articles-group")
    for index, article in enumerate(ARTICLES):
        articles_group.locator(".add-row a").click()
        page.fill(f"#id_articles-{index}-position", str(index))
        page.fill(f"#id_articles-{index}-title", article.title)
        page.fill(f"#id_articles-{index}-url", article.url)
        summary = page.locator(f"#id_articles-{index}-summary")
        summary.click()
        summary.press_sequentially(article.summary, delay=5)  # key by key, as a person types
        preview = page.locator(f"#articles-{index} .markdownx-preview")
        try:
            expect(preview.locator("strong")).to_have_text(article.bold, timeout=5_000)
        except AssertionError:
            problems.append(
                f"admin: the Markdown preview of 関連リンク #{index + 1} (a row added with 「関連リンク の追加」) "
                f"never showed the rendered summary; its .markdownx-preview holds {preview.inner_html()!r} "
                "(see the editor-articles screenshot)"
            )
    shots.take(
        page, "editor-articles", "関連リンク 2 件: 要約を Markdown で入力し、プレビューに表示", locator=articles_group
    )

    # 保存して編集を続ける: the change page says what was read from the MP3.
    page.click("input[name=_continue]")
    expect(page.locator(".errornote")).to_have_count(0)
    expect(page.locator(".messagelist .success")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/admin/episodes/episode/\d+/change/$"))
    audio_info = page.locator(".field-audio_info .readonly")
    expect(audio_info).to_contain_text(f"{TONE_MP3.stat().st_size:,} バイト")
    expect(audio_info).to_contain_text("長さ")
    shots.take(page, "editor-saved", "保存後の編集画面の上部: 追加しましたというメッセージ", full_page=False)
    audio_fieldset = page.locator("fieldset", has=audio_info)
    shots.take(page, "editor-audio-read", "音声欄: MP3 から読み取ったサイズ・長さ・種類", locator=audio_fieldset)
    journey.number, journey.title = number, title

    # サイト上で表示 opens the public page.
    page.locator("a.viewsitelink").click()
    expect(page).to_have_url(f"{server.url}/episode/{number}")
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator(".staff-preview")).to_have_count(0)  # published, not a draft
    expect(page.locator(".articles .summary strong")).to_have_text([article.bold for article in ARTICLES])
    expect(page.locator(".articles h3 a")).to_have_text([article.title for article in ARTICLES])
    expect(page.locator(".cast-list li span")).to_have_text(CAST)
    expect(page.locator("audio")).to_have_attribute("src", re.compile(r"/media/.+\.mp3$"))
    shots.take(page, "editor-episode-on-site", f"「サイト上で表示」で開いた公開ページ /episode/{number}")

    assert_clean(problems, editor)


AUDIO_READY = """() => {
  const audio = document.querySelector("audio");
  return audio && Number.isFinite(audio.duration) && audio.duration > 0 ? audio.duration : false;
}"""


def test_listener_on_a_phone_plays_watches_and_writes_in(server, listener, editor, shots, journey):
    if journey.number is None:
        pytest.skip("the editor's journey did not publish an episode (see its failure above)")
    page = listener.page
    problems: list[str] = []
    media_statuses: list[int] = []
    page.on("response", lambda response: "/media/" in response.url and media_statuses.append(response.status))

    # Home page on a phone: the new episode is listed.
    page.goto(server.url + "/")
    episode_link = page.locator(f'a[href="/episode/{journey.number}"]').first
    expect(episode_link).to_be_visible()
    shots.take(page, "listener-home", "スマートフォン幅（390x844）のトップページ、新しいエピソードが一覧に")

    # The episode: the player learns the duration (the browser asks with Range).
    episode_link.click()
    expect(page).to_have_url(f"{server.url}/episode/{journey.number}")
    expect(page.locator("h1")).to_have_text(journey.title)
    duration = page.wait_for_function(AUDIO_READY, timeout=15_000).json_value()
    assert duration > 0
    if 206 not in media_statuses:
        problems.append(f"the audio was fetched without a 206 Partial Content answer: statuses {media_statuses}")
    page.locator("section.player").scroll_into_view_if_needed()
    shots.take(page, "listener-episode", f"エピソードのページ、音声の長さ {duration:.1f} 秒を読み込み済み")

    # The YouTube preview becomes the player frame on a click.
    preview = page.locator(".youtube-preview")
    preview.scroll_into_view_if_needed()
    preview.tap()  # a finger on a touch screen; the page listens for the click it becomes
    frame = page.locator("iframe.youtube-frame")
    expect(frame).to_be_visible()
    expect(frame).to_have_attribute("src", re.compile(rf"^https://www\.youtube-nocookie\.com/embed/{YOUTUBE_ID}"))
    expect(preview).to_have_count(0)
    page.wait_for_timeout(500)  # let the (offline) frame fail now, so its note is recorded on this page
    shots.take(
        page,
        "listener-youtube",
        "YouTube のプレビューをタップ → プレーヤーの iframe に置き換わった（オフラインなので中身はエラー表示）",
        locator=page.locator("section.youtube"),
    )

    # お便り: the form knows which episode it is about.
    page.locator("section.letters a", has_text="お便りを送る").click()
    expect(page).to_have_url(re.compile(rf"/letters/\?episode={journey.number}$"))
    expect(page.locator(".letters-about")).to_contain_text(f"#{journey.number} {journey.title}")
    radio_name = f"ブラウザのずんだ餅{RUN}"
    message = f"スマホから聞きました。量子コンピューターの話が面白かったです。（{RUN}）"
    page.fill("#id_radio_name", radio_name)
    page.fill("#id_message", message)
    page.check("#id_consent_to_air")
    shots.take(page, "listener-letter-form", "お便りフォームに記入（ラジオネーム・メッセージ・読み上げの同意）")
    page.locator("button.letter-button").click()
    expect(page).to_have_url(re.compile(r"/letters/thanks/"))
    expect(page.locator("h1")).to_have_text("お便りをありがとうございました")
    expect(page.locator(".letters-next")).to_contain_text(f"#{journey.number} {journey.title}")
    shots.take(page, "listener-thanks", "お便りのお礼のページ")

    # The editor finds the letter in the inbox, unread.
    inbox = editor.page
    log_in(inbox, server)
    inbox.locator("tr.model-letter th a").click()
    expect(inbox).to_have_url(re.compile(r"/admin/episodes/letter/"))
    row = inbox.locator("#result_list tbody tr", has_text=radio_name)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(message[:20])
    expect(row).to_contain_text("未読")
    shots.take(inbox, "editor-inbox", "管理画面のお便り一覧に届いたお便り（未読）")

    assert_clean(problems, listener, editor)
