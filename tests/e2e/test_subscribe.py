"""Subscribing and sharing from a phone (issue 16): the menu's 購読, the feed URL copied."""

import http.server
import re
import threading

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
expect = sync_api.expect

pytestmark = pytest.mark.e2e


def test_menu_leads_to_the_subscribe_page_and_the_feed_url_copies(server, browser, shots):
    context = browser.new_context(
        locale="ja-JP", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = context.new_page()
    try:
        page.goto(server.url + "/")
        page.locator("header nav a", has_text="購読").click()
        expect(page).to_have_url(re.compile(r"/subscribe/$"))
        page.locator(".copy-button").last.click()
        expect(page.locator(".copy-status")).to_have_text("コピーしました。")
        assert page.evaluate("navigator.clipboard.readText()") == server.url + "/feed.xml"
        shots.take(page, "phone-subscribe", "購読ページ（メニューの「購読」から）: フィードの URL をコピー")

        # The episode's share buttons are plain links: nothing from X or LINE loads before a tap.
        page.goto(server.url + "/episode/2")
        share = page.locator("section.share")
        expect(share.locator("a", has_text="X でポスト")).to_have_attribute(
            "href", re.compile(r"^https://x\.com/intent/post\?text=.+&url=.+&hashtags=")
        )
        share.locator(".copy-button").click()
        assert page.evaluate("navigator.clipboard.readText()") == server.url + "/episode/2"
    finally:
        context.close()


@pytest.fixture
def blog_server():
    """Another origin on this machine serving one page (Chromium keeps public sites from framing loopback ones)."""
    servers = []

    def serve(html: str) -> str:
        body = html.encode()

        class Blog(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Blog)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return f"http://localhost:{httpd.server_address[1]}/a-blog-post"

    yield serve
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def test_another_site_frames_the_embed_and_it_plays(server, browser, shots, blog_server):
    """A blog on another origin embeds /episode/<n>/embed (found through oEmbed); the rest stays unframeable."""
    context = browser.new_context(locale="ja-JP", viewport={"width": 800, "height": 600})
    page = context.new_page()
    try:
        oembed = page.request.get(server.url + "/oembed", params={"url": server.url + "/episode/2", "format": "json"})
        html = oembed.json()["html"]
        blog = "<!doctype html><title>blog</title><h1>よその日記</h1>" + html
        blog += f'<iframe id="page" src="{server.url}/episode/2" width="400" height="200"></iframe>'
        page.goto(blog_server(blog))
        embed = page.frame_locator("iframe[src$='/episode/2/embed']")
        expect(embed.locator(".player audio")).to_be_visible()
        expect(embed.locator(".player-controls")).to_be_visible()  # player.js ran inside the frame
        frame = next(f for f in page.frames if f.url.endswith("/episode/2/embed"))
        frame.locator(".embed-chapters a.timecode").last.click()
        frame.wait_for_function("() => document.querySelector('.player audio').currentTime > 1")
        shots.take(
            page, "embed-on-another-site", "よそのサイトに埋め込まれたプレーヤー（oEmbed の iframe）", full_page=False
        )
        # The episode page itself refuses to be framed (X-Frame-Options DENY, frame-ancestors 'none').
        framed = next((f for f in page.frames if f.url.endswith("/episode/2")), None)
        assert framed is None or framed.locator("h1").count() == 0
    finally:
        context.close()
