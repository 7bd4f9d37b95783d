"""Listeners on a phone (issue 25): lock-screen and keyboard controls, the transcript's speakers,
the compact mini-player and the embed that fits the box oEmbed declares.

One 80 s episode with a single voice (so its WebVTT cues carry `<v name>` tags) and two
articles starting at 0:20 and 1:05.
"""

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from .test_player import PHONE, long_mp3, wait_for_time

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
expect = sync_api.expect

pytestmark = pytest.mark.e2e

DESKTOP = {"viewport": {"width": 1366, "height": 900}}
CREATE_EPISODE = """
import json
from django.core.files.uploadedfile import SimpleUploadedFile
from episodes.catalogue.models import Actor, Appearance, Episode, LinkedArticle, Show
spec = json.loads(r'''{spec}''')
show = Show.objects.order_by("pk").first()
actor = Actor.objects.order_by("pk").first()
number = (Episode.objects.order_by("-number").values_list("number", flat=True).first() or 0) + 1
with open(spec["mp3"], "rb") as mp3:
    audio = SimpleUploadedFile("voiced-e2e.mp3", mp3.read(), content_type="audio/mpeg")
episode = Episode.objects.create(
    show=show, number=number, title="ひとりで話す回", description="声がひとつの回", audio_file=audio,
    status=Episode.Status.PUBLISHED, transcript=spec["transcript"],
)
Appearance.objects.create(episode=episode, actor=actor, position=0)
LinkedArticle.objects.create(episode=episode, position=0, title="一本目の記事", url="https://example.com/a", start_seconds=20)
LinkedArticle.objects.create(episode=episode, position=1, title="二本目の記事", url="https://example.com/b", start_seconds=65)
print(episode.number, show.name, actor.name)
"""
# Recorded before the page's scripts run: which Media Session actions got a handler (and the handlers).
RECORD_ACTIONS = """
window.__actions = {};
if (navigator.mediaSession) {
  const original = navigator.mediaSession.setActionHandler.bind(navigator.mediaSession);
  navigator.mediaSession.setActionHandler = (action, handler) => {
    window.__actions[action] = handler;
    return original(action, handler);
  };
}
"""
AUDIO = "document.querySelector('.player audio')"
# The episode cards whose audio this site serves (other journeys add episodes with audio elsewhere).
PLAYABLE_CARDS = """cards => cards.map(card => {
  const item = card.querySelector('[data-queue-item]');
  return item && {episode: item.dataset.episode, src: item.dataset.src, url: item.dataset.url,
                  title: card.querySelector('h2').textContent.trim()};
}).filter(card => card && card.src.startsWith('/media/'))"""


def playable_cards(page) -> list[dict]:
    return page.locator("main .episode-card").evaluate_all(PLAYABLE_CARDS)


@pytest.fixture(scope="module")
def voiced(server, tmp_path_factory) -> dict:
    mp3 = long_mp3(tmp_path_factory.mktemp("voiced-audio") / "voiced.mp3")
    transcript = "\n".join(f"{index}番目の文なのだ。" + "い" * (10 + index % 5) for index in range(1, 41))
    spec = json.dumps({"mp3": str(mp3), "transcript": transcript}, ensure_ascii=False)
    output = server.manage("shell", "-c", CREATE_EPISODE.replace("{spec}", spec))
    number, show, actor = output.strip().splitlines()[-1].split(maxsplit=2)
    return {"number": int(number), "show": show, "actor": actor, "path": f"/episode/{number}"}


def tab(browser, options):
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", **options)
    context.set_default_timeout(15_000)
    context.add_init_script(RECORD_ACTIONS)
    return context, context.new_page()


@pytest.fixture
def phone(browser):
    context, page = tab(browser, PHONE)
    yield page
    context.close()


@pytest.fixture
def desktop(browser):
    context, page = tab(browser, DESKTOP)
    yield page
    context.close()


def test_media_session_describes_the_episode_and_takes_every_action(server, desktop, voiced, shots):
    desktop.goto(server.url + voiced["path"])
    desktop.wait_for_function(f"() => {AUDIO}.readyState >= 1")
    actions = desktop.evaluate("Object.keys(window.__actions)")
    assert {"play", "pause", "seekbackward", "seekforward", "previoustrack", "nexttrack"} <= set(actions)

    desktop.keyboard.press("Space")  # on the page itself: play, not scroll
    desktop.wait_for_function(f"() => !{AUDIO}.paused")
    assert desktop.evaluate("window.scrollY") == 0
    metadata = desktop.evaluate(
        "() => { const m = navigator.mediaSession.metadata;"
        " return {title: m.title, artist: m.artist, artwork: m.artwork.map(a => a.src)}; }"
    )
    assert metadata["title"] == "ひとりで話す回"
    assert metadata["artist"] == voiced["show"]
    assert metadata["artwork"] and all(re.search(r"-\d+w\.(jpg|png)$", src) for src in metadata["artwork"])
    assert desktop.evaluate("navigator.mediaSession.playbackState") == "playing"

    # Next / previous article as chapters, ±15 s as the seek buttons.
    desktop.evaluate("window.__actions.nexttrack()")
    wait_for_time(desktop, 20, tolerance=1)
    desktop.evaluate("window.__actions.nexttrack()")
    wait_for_time(desktop, 65, tolerance=1)
    desktop.evaluate("window.__actions.seekbackward({})")
    wait_for_time(desktop, 50, tolerance=1)
    desktop.evaluate("window.__actions.previoustrack()")
    wait_for_time(desktop, 20, tolerance=1)
    desktop.keyboard.press("Space")
    desktop.wait_for_function(f"() => {AUDIO}.paused")
    desktop.wait_for_function("() => navigator.mediaSession.playbackState === 'paused'")


def test_renditions_fill_the_boxes_the_layout_gives_them(server, phone, voiced):
    phone.goto(server.url + voiced["path"])
    cover = phone.locator(".episode-head img.cover")
    expect(cover).to_be_visible()
    box = cover.bounding_box()
    assert (round(box["width"]), round(box["height"])) == (88, 88)
    # At DPR 1 (the context's default) the 88 px cover takes a small WebP, never the original.
    chosen = cover.evaluate("img => img.currentSrc")
    assert re.search(r"-\d+w\.webp$", chosen), chosen
    portrait = phone.locator(".cast-list img").first
    box = portrait.bounding_box()
    assert (round(box["width"]), round(box["height"])) == (48, 48)


def test_keyboard_shortcuts_are_listed_and_work(server, desktop, voiced):
    desktop.goto(server.url + voiced["path"])
    keys = desktop.locator(".player-keys")
    expect(keys).to_be_visible()
    for key in ("Space", "←", "→", "J", "L"):
        expect(keys).to_contain_text(key)
    desktop.wait_for_function(f"() => {AUDIO}.readyState >= 1")
    desktop.keyboard.press("l")
    wait_for_time(desktop, 15, tolerance=1)
    desktop.keyboard.press("ArrowRight")
    wait_for_time(desktop, 20, tolerance=1)
    desktop.keyboard.press("j")
    wait_for_time(desktop, 5, tolerance=1)
    # Typing in the search box is typing: no key reaches the player.
    desktop.locator(".header-search input").fill("")
    desktop.locator(".header-search input").type("jl ")
    assert desktop.evaluate(f"{AUDIO}.paused")
    assert abs(desktop.evaluate(f"{AUDIO}.currentTime") - 5) <= 1


def test_transcript_names_the_speaker_and_shows_no_voice_tags(server, phone, voiced, shots):
    phone.goto(server.url + voiced["path"])
    phone.locator(".transcript summary").click()
    cues = phone.locator(".transcript-cues li")
    expect(cues.first).to_be_visible()
    text = phone.locator(".transcript-cues").inner_text()
    assert "<v" not in text and "</v>" not in text
    assert phone.locator(".transcript-cues .cue-speaker").first.inner_text() == voiced["actor"]
    assert "1番目の文なのだ。" in cues.first.inner_text()
    shots.take(
        phone,
        "phone-transcript-speaker",
        "文字起こし: 話者名＋本文（<v> タグなし）",
        locator=phone.locator(".transcript"),
    )


def test_mini_player_is_one_compact_row_with_artwork_article_and_close(server, phone, voiced, shots):
    phone.goto(server.url + voiced["path"])
    phone.locator(".articles a.timecode", has_text="0:20").click()
    phone.wait_for_function(f"() => !{AUDIO}.paused")
    phone.locator("header nav a", has_text="アーカイブ").click()
    expect(phone).to_have_url(re.compile(r"/archive/$"))
    mini = phone.locator(".mini-player")
    expect(mini).to_be_visible()
    box = mini.bounding_box()
    assert box["height"] <= 72, f"the mini-player is {box['height']} px tall"
    assert box["y"] + box["height"] <= 844 + 0.5
    expect(mini.locator("img.mini-player-art")).to_be_visible()
    assert re.search(r"-\d+w\.(jpg|png)$", mini.locator("img.mini-player-art").get_attribute("src"))
    expect(mini.locator(".mini-player-chapter")).to_have_text("一本目の記事")
    shots.take(
        phone, "phone-mini-player-compact", "ミニプレーヤー: 72px 以下・アートワーク・記事名・閉じる", full_page=False
    )

    mini.get_by_role("button", name="一時停止").click()
    phone.wait_for_function("() => document.querySelector('.mini-player audio').paused")
    expect(mini.get_by_role("button", name="再生")).to_be_visible()
    mini.get_by_role("button", name="プレーヤーを閉じる").click()
    expect(phone.locator(".mini-player")).to_have_count(0)
    assert phone.evaluate("document.querySelectorAll('audio').length") == 0


@pytest.mark.parametrize("width", [320, 400, 560])
def test_the_embed_fits_its_declared_box_and_shows_its_length(server, browser, voiced, width, shots):
    oembed = json.loads(
        browser.new_context()
        .request.get(f"{server.url}/oembed?url={server.url}{voiced['path']}&maxwidth={width}&format=json")
        .text()
    )
    height = oembed["height"]
    assert oembed["width"] == width
    # Chromium asks before a page frames a loopback address: the listener allows it.
    context = browser.new_context(
        locale="ja-JP", viewport={"width": width, "height": height}, permissions=["local-network-access"]
    )
    page = context.new_page()
    # The real thing: the iframe oEmbed hands out, in a page of another site.
    host_page = f"<!doctype html><html lang='ja'><title>blog</title><body style='margin:0'>{oembed['html']}</body>"
    page.route("http://localhost/blog", lambda route: route.fulfill(body=host_page, content_type="text/html"))
    page.goto("http://localhost/blog")
    frame = page.frame_locator("iframe")
    expect(frame.locator(".embed-back a")).to_be_visible()
    embed = page.frames[1]
    embed.wait_for_load_state("load")  # measured with its stylesheet applied
    size = embed.evaluate(
        "() => ({w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight,"
        " back: document.querySelector('.embed-back').getBoundingClientRect().bottom})"
    )
    assert size["w"] <= width and size["h"] <= height, f"{size} in {width}×{height}"
    assert size["back"] <= height
    expect(frame.locator(".embed-duration")).to_have_text(re.compile(r"^1:2\d$"))
    assert embed.evaluate("document.querySelector('audio').paused")
    shots.take(page, f"embed-{width}", f"埋め込み {width}×{height}: 枠に収まる・再生前に長さ", full_page=False)
    context.close()


def test_the_dashboard_fits_a_phone(server, phone, shots):
    phone.goto(server.url + "/admin/login/?next=/admin/")
    phone.fill("#id_username", server.username)
    phone.fill("#id_password", server.password)
    phone.locator("input[type=submit]").click()
    expect(phone.locator(".station-dashboard")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the dashboard is {width} px wide on a 390 px screen"
    assert phone.locator(".dashboard-left-out tbody tr").count() <= 10
    shots.take(phone, "phone-dashboard", "管理画面の最初のページ（390px）: 表は縦に積まれ、横にはみ出さない")


# The placeholder's width as drawn in the input's own font, and the room the input leaves it.
PLACEHOLDER_ROOM = """() => {
  const input = document.querySelector('.header-search input');
  const style = getComputedStyle(input);
  const pen = document.createElement('canvas').getContext('2d');
  pen.font = `${style.fontSize} ${style.fontFamily}`;
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return {text: pen.measureText(input.placeholder).width, room};
}"""


@pytest.mark.parametrize("width", [390, 320])
def test_the_header_search_placeholder_is_not_cut(server, browser, width, shots):
    context, page = tab(browser, {**PHONE, "viewport": {"width": width, "height": 844}})
    page.goto(server.url + "/")
    fit = page.evaluate(PLACEHOLDER_ROOM)
    shots.take(page, f"header-search-{width}", f"ヘッダーの検索欄（幅 {width} px）", full_page=False)
    context.close()
    assert fit["text"] <= fit["room"], fit


@pytest.mark.parametrize("width", [390, 320])
def test_every_menu_link_is_on_screen(server, browser, width, shots):
    """At 320 px the five links used to scroll sideways, お便りを送る cut and 購読 off-screen."""
    context, page = tab(browser, {**PHONE, "viewport": {"width": width, "height": 844}})
    page.goto(server.url + "/")
    outside = page.evaluate(
        """() => [...document.querySelectorAll('.site-header nav a')]
             .filter(a => { const r = a.getBoundingClientRect(); return r.left < 0 || r.right > window.innerWidth; })
             .map(a => a.textContent)"""
    )
    shots.take(page, f"header-menu-{width}", f"ヘッダーのメニュー（幅 {width} px）", full_page=False)
    context.close()
    assert outside == []


def test_the_queue_plays_two_episodes_in_a_row(server, phone, shots):
    phone.goto(server.url + "/")
    expect(phone.locator("main .episode-card [data-queue-item]").first).to_be_visible()
    playable = playable_cards(phone)[:2]
    assert len(playable) == 2
    titles = [card["title"] for card in playable]
    # Everything else on the page counts as heard, so 未聴を続けて再生 takes just these two.
    phone.evaluate(
        """keep => document.querySelectorAll('main [data-queue-item]').forEach(item => {
             if (!keep.includes(item.dataset.episode)) localStorage.setItem('zundapod:heard:' + item.dataset.episode, '1');
           })""",
        [card["episode"] for card in playable],
    )
    phone.get_by_role("button", name="未聴を続けて再生").click()
    mini = phone.locator(".mini-player")
    expect(mini.locator(".mini-player-title")).to_have_text(titles[0])
    phone.wait_for_function("() => !document.querySelector('.mini-player audio').paused")
    shots.take(phone, "phone-queue-first", "未聴を続けて再生: 1 本目がミニプレーヤーで再生中", full_page=False)
    # The first ends (sent to its last second), the second starts by itself.
    phone.evaluate(
        "() => { const a = document.querySelector('.mini-player audio'); a.currentTime = a.duration - 0.5; }"
    )
    expect(mini.locator(".mini-player-title")).to_have_text(titles[1], timeout=30_000)
    phone.wait_for_function("() => !document.querySelector('.mini-player audio').paused")
    heard = phone.evaluate("Object.keys(localStorage).filter(key => key.startsWith('zundapod:heard:')).length")
    assert heard == phone.evaluate("document.querySelectorAll('main [data-queue-item]').length") - 1
    shots.take(phone, "phone-queue-second", "1 本目が終わると 2 本目が自動で始まる", full_page=False)

    # 次に再生 on a card adds it to the queue (no duplicates).
    add = phone.locator(f"#queue-{playable[-1]['episode']}")
    expect(add).to_have_accessible_name(f"次に再生 {titles[-1]}")
    add.click()
    add.click()
    queued = phone.evaluate("JSON.parse(localStorage.getItem('zundapod:queue')).map(item => item.episode)")
    assert queued.count(playable[-1]["episode"]) == 1


def test_a_full_reload_offers_to_continue_where_the_listener_stopped(server, phone, voiced, shots):
    phone.goto(server.url + voiced["path"])
    phone.locator(".articles a.timecode", has_text="0:20").click()
    phone.wait_for_function(f"() => !{AUDIO}.paused")
    phone.evaluate(f"() => {{ const a = {AUDIO}; a.currentTime = 33; a.pause(); }}")
    phone.goto(server.url + "/archive/")  # a full page load: the mini-player is gone
    resume = phone.get_by_role("button", name=re.compile(r"続きを聞く（0:33〜）"))
    expect(resume).to_be_visible()
    expect(phone.locator(".resume-title")).to_have_text("ひとりで話す回")
    shots.take(phone, "phone-resume", "再読み込みの後: 続きを聞く（0:33〜）", full_page=False)
    resume.click()
    mini = phone.locator(".mini-player")
    expect(mini.locator(".mini-player-title")).to_have_text("ひとりで話す回")
    phone.wait_for_function(
        "() => { const a = document.querySelector('.mini-player audio'); return !a.paused && a.currentTime >= 32; }"
    )


def test_sharing_at_the_current_time(server, phone, voiced):
    phone.goto(server.url + voiced["path"])
    phone.wait_for_function(f"() => {AUDIO}.readyState >= 1")
    phone.evaluate(f"() => {{ const a = {AUDIO}; a.currentTime = 65; a.dispatchEvent(new Event('timeupdate')); }}")
    box = phone.get_by_label(re.compile(r"再生位置（1:05）から"))
    expect(box).to_be_visible()
    box.check()
    x_link = phone.locator("section.share a", has_text="X でポスト")
    x_link.dispatch_event("click")  # rewritten as it is tapped (the new tab itself is not opened here)
    shared = parse_qs(urlsplit(x_link.get_attribute("href")).query)["url"][0]
    assert shared == f"{server.url}{voiced['path']}#t=1:05"
    copy = phone.locator("section.share [data-copy]")
    copy.click()
    assert copy.get_attribute("data-copy").endswith("#t=1:05")


def test_a_queued_episode_plays_with_the_network_cut(server, browser, shots):
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", **PHONE)
    context.set_default_timeout(15_000)
    phone = context.new_page()
    phone.goto(server.url + "/")
    phone.wait_for_function("() => navigator.serviceWorker.controller !== null")
    card = playable_cards(phone)[0]
    title, url = card["title"], card["url"]
    phone.locator(f"#queue-{card['episode']}").click()
    status = phone.locator(".offline-status")
    expect(status).to_be_visible()
    expect(status).to_contain_text("オフライン用に 1 件")

    context.set_offline(True)
    phone.locator(f"#play-{card['episode']}").click()
    phone.wait_for_function(
        "() => { const a = document.querySelector('.mini-player audio'); return a && !a.paused && a.currentTime > 0.5; }"
    )
    shots.take(phone, "phone-offline-play", "通信を切った状態で、キューに入れた回を再生", full_page=False)
    phone.goto(server.url + url)  # the page was kept too
    expect(phone.locator("h1")).to_have_text(title)

    context.set_offline(False)
    phone.goto(server.url + "/")
    expect(status).to_be_visible()
    phone.get_by_role("button", name="オフライン用の保存を削除").click()
    expect(status).to_be_hidden()
    context.close()


def test_after_fixing_an_error_the_saved_page_opens_at_its_message(server, browser, shots):
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(server.url + "/admin/login/?next=/admin/catalogue/episode/add/")
    page.fill("#id_username", server.username)
    page.fill("#id_password", server.password)
    page.locator("input[type=submit]").click()
    page.fill("#id_youtube_url", "https://example.com/not-a-video")
    page.locator(".publish-buttons").first.get_by_role("button", name="下書き保存").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(page.locator(".errornote")).to_be_hidden()  # one banner, not two
    summary.locator("a").first.click()
    assert urlsplit(page.url).fragment  # the summary's link moved to the field
    page.fill("#id_youtube_url", "")
    page.locator(".publish-buttons").first.get_by_role("button", name="下書き保存").click()
    message = page.locator(".messagelist li").first
    expect(message).to_be_visible()
    assert urlsplit(page.url).fragment == ""
    box = message.bounding_box()
    assert 0 <= box["y"] < 900, f"the message is at {box['y']} px, off the first screen"
    shots.take(page, "editor-saved-after-error", "エラーを直して保存: メッセージが最初の画面に", full_page=False)
    context.close()
