"""The editor reads the downloads page in a real browser: charts drawn from the demo's generated listening."""

import re

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
expect = sync_api.expect

# No pytest-django database fixture is requested here: the server has its own SQLite.
pytestmark = pytest.mark.e2e


def log_in(page, server) -> None:
    page.goto(server.url + "/admin/")
    if "/admin/login/" in page.url:
        page.fill("#id_username", server.username)
        page.fill("#id_password", server.password)
        page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text(re.compile(re.escape(server.username), re.IGNORECASE))


def test_downloads_page_draws_its_charts(server, editor, shots):
    page = editor.page
    log_in(page, server)
    page.goto(server.url + "/admin/")
    page.locator("a[href='/admin/analytics/dailydownloads/']").first.click()
    expect(page.locator("h1")).to_contain_text("ダウンロード数")
    charts = page.locator("svg.analytics-chart")
    expect(charts).to_have_count(4)
    for i in range(4):
        box = charts.nth(i).bounding_box()
        assert box and box["width"] > 300 and box["height"] > 20
    # Each chart fills its box (full width or a column), not a fixed 720 px in the corner of a wider one.
    fill = page.evaluate(
        """() => [...document.querySelectorAll("svg.analytics-chart")].map((svg) => {
            const box = svg.parentElement, style = getComputedStyle(box);
            const inner = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
            return svg.getBoundingClientRect().width / inner;
        })"""
    )
    assert all(share > 0.98 for share in fill), fill
    # The demo's listening is there: a line with points, bars for apps, first-day numbers.
    assert page.locator("svg.analytics-chart circle").count() >= 14
    expect(page.locator(".analytics-columns")).to_contain_text("Apple Podcasts")
    expect(page.locator(".analytics-columns")).not_to_contain_text("AppleCoreMedia")
    expect(page.locator(".analytics-columns")).not_to_contain_text("Android Phone")
    expect(page.locator(".analytics-table tbody")).not_to_contain_text("公開中のエピソードはまだありません")
    shots.take(
        page, "downloads", "管理画面のダウンロード数: 1日ごとの線、公開からの1/7/30日、よく聴かれた回、アプリ別、端末別"
    )
    with page.expect_download() as download:
        page.locator("a[href^='csv/apps/']").click()
    assert download.value.suggested_filename.startswith("downloads-apps-")
