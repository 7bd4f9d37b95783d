"""The episode player on a phone (issue 16): in the first screen, times that seek,
#t= deep links, speed and skips, the position remembered, the transcript following.

The demo episodes last a few seconds, so this module adds one of 80 seconds (the
test MP3's frames repeated) with an article starting at 1:05 and a transcript.
"""

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
expect = sync_api.expect

pytestmark = pytest.mark.e2e

TONE_MP3 = Path(__file__).resolve().parents[1] / "data" / "tone.mp3"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
CURRENT_TIME = "() => document.querySelector('.player audio').currentTime"


def long_mp3(path: Path, repeats: int = 40) -> Path:
    """tone.mp3's audio frames repeated: a valid CBR MP3 about 80 s long, made without an encoder."""
    data = TONE_MP3.read_bytes()
    if data[:3] == b"ID3":  # skip the ID3v2 tag: its size is four 7-bit bytes
        size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]
        data = data[10 + size :]
    # The first frame is an "Info" frame giving the 2 s length: drop it so the length is measured.
    info = data.find(b"Info", 0, 200)
    if info >= 0:
        data = data[data.find(data[:2], info) :]
    path.write_bytes(data * repeats)
    return path


CREATE_EPISODE = """
import json
from django.core.files.uploadedfile import SimpleUploadedFile
from episodes.catalogue.models import Episode, LinkedArticle, Show
spec = json.loads(r'''{spec}''')
show = Show.objects.order_by("pk").first()
number = (Episode.objects.order_by("-number").values_list("number", flat=True).first() or 0) + 1
with open(spec["mp3"], "rb") as mp3:
    audio = SimpleUploadedFile("long-e2e.mp3", mp3.read(), content_type="audio/mpeg")
episode = Episode.objects.create(
    show=show, number=number, title="長い音声のテスト回", description="80秒の回", audio_file=audio,
    status=Episode.Status.PUBLISHED, transcript=spec["transcript"], notice="長いお知らせ。" * 20,
)
LinkedArticle.objects.create(episode=episode, position=0, title="一本目", url="https://example.com/a", start_seconds=20)
LinkedArticle.objects.create(episode=episode, position=1, title="二本目", url="https://example.com/b", start_seconds=65.166)
print(episode.number, episode.audio_duration)
"""


@pytest.fixture(scope="module")
def long_episode(server, tmp_path_factory) -> int:
    mp3 = long_mp3(tmp_path_factory.mktemp("long-audio") / "long.mp3")
    transcript = "\n".join(f"{index}番目の文なのだ。" + "あ" * (10 + index % 5) for index in range(1, 41))
    spec = json.dumps({"mp3": str(mp3), "transcript": transcript}, ensure_ascii=False)
    output = server.manage("shell", "-c", CREATE_EPISODE.replace("{spec}", spec))
    number, duration = output.strip().splitlines()[-1].split()
    assert float(duration) > 70, f"the long MP3 measured {duration} s"
    return int(number)


@pytest.fixture
def phone(browser, server):
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", **PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def wait_for_time(page, seconds: float, tolerance: float = 0.5) -> float:
    """Wait until the player sits at `seconds` (± tolerance); the time it reached."""
    page.wait_for_function(
        "([target, tolerance]) => Math.abs(document.querySelector('.player audio').currentTime - target) <= tolerance",
        arg=[seconds, tolerance],
    )
    return page.evaluate(CURRENT_TIME)


def test_play_button_is_in_the_first_screen_on_every_episode_page(server, phone, long_episode, shots):
    phone.goto(server.url + "/")
    links = phone.locator("main a[href^='/episode/']").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    paths = list(dict.fromkeys([*links, f"/episode/{long_episode}"]))
    below = []
    for path in paths:
        phone.goto(server.url + path)
        box = phone.locator(".player audio").bounding_box()
        if box is None or box["y"] + box["height"] > 844:
            below.append(f"{path}: audio at {box}")
    phone.goto(server.url + f"/episode/{long_episode}")
    shots.take(phone, "phone-episode-first-screen", "スマホ幅の最初の画面: タイトル・日付・プレーヤー", full_page=False)
    assert not below, "the player is below the first screen on " + ", ".join(below)


def test_article_time_seeks_and_deep_links_start_there(server, phone, long_episode, shots):
    phone.goto(server.url + f"/episode/{long_episode}")
    link = phone.locator(".articles a.timecode", has_text="1:05")
    expect(link).to_have_attribute("href", "#t=1:05")
    link.click()
    assert abs(wait_for_time(phone, 65.166) - 65.166) <= 0.5
    # The address keeps no #t=: it would win over the remembered position on a reload.
    assert urlsplit(phone.url).fragment == ""
    shots.take(phone, "phone-article-seek", "記事の時刻 1:05 をタップ → プレーヤーがその位置に", full_page=False)

    phone.goto(server.url + "/")
    phone.goto(server.url + f"/episode/{long_episode}#t=0:20")  # a shared link opens there
    assert abs(wait_for_time(phone, 20) - 20) <= 0.5
    phone.wait_for_function("() => location.hash === ''")


def test_a_time_link_then_a_reload_resumes_at_the_remembered_position(server, phone, long_episode):
    phone.goto(server.url + f"/episode/{long_episode}")
    phone.locator(".articles a.timecode", has_text="0:20").click()
    wait_for_time(phone, 20, tolerance=1)
    # The listener goes on listening to 0:50 and pauses (the player remembers on pause).
    phone.evaluate("() => { const a = document.querySelector('.player audio'); a.currentTime = 50; a.pause(); }")
    phone.wait_for_function(
        "() => localStorage.getItem(`zundapod:position:${document.querySelector('.player').dataset.episode}`) === '50'"
    )
    phone.reload()
    assert abs(wait_for_time(phone, 50, tolerance=1) - 50) <= 1
    expect(phone.locator(".player-resume")).to_contain_text("前回の続き（0:50）")


def test_speed_skips_and_the_remembered_position(server, phone, long_episode):
    phone.goto(server.url + f"/episode/{long_episode}")
    audio = ".player audio"
    phone.wait_for_function(f"() => document.querySelector('{audio}').readyState >= 1")
    phone.select_option(".player-speed", "1.5")
    assert phone.evaluate(f"document.querySelector('{audio}').playbackRate") == 1.5
    phone.get_by_role("button", name="15秒進む").click()
    wait_for_time(phone, 15, tolerance=1)
    phone.get_by_role("button", name="15秒進む").click()
    wait_for_time(phone, 30, tolerance=1)
    phone.get_by_role("button", name="15秒戻る").click()
    wait_for_time(phone, 15, tolerance=1)
    phone.evaluate(
        f"() => {{ const a = document.querySelector('{audio}'); a.currentTime = 42; a.dispatchEvent(new Event('pause')); }}"
    )

    phone.reload()
    assert abs(wait_for_time(phone, 42, tolerance=1) - 42) <= 1
    expect(phone.locator(".player-resume")).to_contain_text("前回の続き（0:42）")
    assert phone.evaluate(f"document.querySelector('{audio}').playbackRate") == 1.5
    assert phone.input_value(".player-speed") == "1.5"


def test_transcript_follows_the_audio(server, phone, long_episode, shots):
    phone.goto(server.url + f"/episode/{long_episode}")
    phone.locator(".transcript summary").click()
    cues = phone.locator(".transcript-cues li")
    expect(cues.first).to_be_visible()
    phone.wait_for_function("() => document.querySelector('.player audio').readyState >= 1")
    phone.evaluate("document.querySelector('.player audio').currentTime = 50")
    wait_for_time(phone, 50)
    # The highlighted cue is the one whose time span holds 50 s (the first one was highlighted at 0).
    phone.wait_for_function(
        """() => {
          const item = document.querySelector('.transcript-cues li.is-current');
          const track = document.querySelector('.player audio').textTracks[0];
          if (!item || !track.cues) return false;
          const seek = Number(item.querySelector('a.cue-time').dataset.seek);
          const cue = [...track.cues].find(c => Math.abs(c.startTime - seek) < 0.001);
          return cue && cue.startTime <= 50 && 50 < cue.endTime;
        }"""
    )
    expect(phone.locator(".transcript-cues li.is-current")).to_have_count(1)
    # A click on a cue's time seeks there.
    third = cues.nth(2)
    third.locator("a.cue-time").click()
    seek_to = float(third.locator("a.cue-time").get_attribute("data-seek"))
    wait_for_time(phone, seek_to)
    expect(third).to_have_class(re.compile(r"\bis-current\b"))
    shots.take(phone, "phone-transcript", "文字起こし: 再生位置の文が強調される", locator=phone.locator(".transcript"))


def test_episode_page_asks_no_other_host_and_is_light(server, phone):
    phone.goto(server.url + "/")
    youtube_episode = None
    for href in phone.locator("main a[href^='/episode/']").evaluate_all("l => l.map(a => a.getAttribute('href'))"):
        phone.goto(server.url + href)
        if phone.locator(".youtube-preview").count():
            youtube_episode = href
            break
    assert youtube_episode, "the demo has an episode with a YouTube version"
    hosts = set()
    phone.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    phone.goto(server.url + youtube_episode)
    phone.locator(".youtube-preview").scroll_into_view_if_needed()
    phone.wait_for_load_state("networkidle")
    own = urlsplit(server.url).netloc
    assert hosts <= {own, ""}, f"requests to other hosts before any click: {hosts - {own}}"
    weight = phone.evaluate(
        "() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
        ".reduce((sum, entry) => sum + (entry.transferSize || entry.encodedBodySize || 0), 0)"
    )
    assert weight <= 150 * 1024, f"the episode page weighs {weight / 1024:.0f} KB before any click"

    # After the click, focus goes into the player the listener asked for.
    phone.locator(".youtube-preview").click()
    expect(phone.locator("iframe.youtube-frame")).to_be_visible()
    assert phone.evaluate("document.activeElement.tagName") == "IFRAME"


def test_mini_player_keeps_playing_across_pages(server, phone, long_episode, shots):
    phone.goto(server.url + f"/episode/{long_episode}")
    phone.locator(".articles a.timecode", has_text="0:20").click()  # a tap: playing from 0:20
    phone.wait_for_function("() => !document.querySelector('.player audio').paused")
    phone.evaluate("window.notReloaded = true; document.querySelector('.player audio').dataset.marker = 'same'")

    phone.locator("header nav a", has_text="アーカイブ").click()
    expect(phone).to_have_url(re.compile(r"/archive/$"))
    expect(phone.locator("h1")).to_have_text("アーカイブ")
    mini = phone.locator(".mini-player")
    expect(mini).to_be_visible()
    expect(mini.locator(".mini-player-title")).to_have_text("長い音声のテスト回")
    expect(mini.locator(".mini-player-title")).to_have_attribute("href", f"/episode/{long_episode}")
    assert phone.evaluate("window.notReloaded === true"), "the page was reloaded"
    assert mini.locator("audio").get_attribute("data-marker") == "same"  # the very element, never reloaded
    before = phone.evaluate("document.querySelector('.mini-player audio').currentTime")
    phone.wait_for_function(f"() => document.querySelector('.mini-player audio').currentTime > {before} + 0.5")
    assert not phone.evaluate("document.querySelector('.mini-player audio').paused")
    shots.take(phone, "phone-mini-player", "アーカイブへ移動しても下のミニプレーヤーで再生が続く", full_page=False)

    # Back goes back, still playing; a search from the header too.
    phone.go_back()
    expect(phone).to_have_url(re.compile(rf"/episode/{long_episode}"))
    expect(phone.locator("main .player-elsewhere")).to_be_visible()
    phone.locator(".header-search input").fill("ブラウザ")
    phone.locator(".header-search input").press("Enter")
    expect(phone).to_have_url(re.compile(r"/search/\?q="))
    assert phone.evaluate("window.notReloaded === true")
    assert not phone.evaluate("document.querySelector('.mini-player audio').paused")


def test_the_page_and_the_player_give_the_same_length(server, phone, long_episode):
    """The page's length and Chromium's controls (which cut the fraction off) agree; the card's too."""
    phone.goto(server.url + f"/episode/{long_episode}")
    phone.wait_for_function("() => Number.isFinite(document.querySelector('.player audio').duration)")
    seconds = int(phone.evaluate("() => document.querySelector('.player audio').duration"))
    shown = f"{seconds // 60}:{seconds % 60:02d}"
    expect(phone.locator("main p.meta", has=phone.locator("time")).first).to_contain_text(shown)
    phone.goto(server.url + "/")
    card = phone.locator(".episode-card", has_text="長い音声のテスト回")
    expect(card).to_contain_text(shown)
