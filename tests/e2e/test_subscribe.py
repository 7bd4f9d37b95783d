"""Subscribing and sharing from a phone (issue 16): the menu's 購読, the feed URL copied."""

import re

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
