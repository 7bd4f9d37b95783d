"""WebSub: a hub is told whenever a feed changes, so apps subscribed through it hear at once.

Feeds name the hub (`<atom:link rel="hub">`) when `WEBSUB_HUB_URL` is set.
A save that leaves an episode public queues a ping for the background worker
once the transaction commits (the editor never waits on the hub);
`websub_ping`, a job the worker runs every minute, announces what no save
announces (a scheduled episode whose time has come) and what a failed ping missed.
The ping is the de facto publisher notification hubs accept (WebSub leaves
it undefined): a form POST of `hub.mode=publish` and `hub.url=<feed>`.
"""

import logging
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from episodes.operations.tasks import enqueue_on_commit, side_effect

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5
# A feed pinged this recently is not pinged again on save (an archive import
# saves hundreds of episodes); the next `websub_ping` run announces the rest.
MIN_INTERVAL_SECONDS = 30


def enabled() -> bool:
    return bool(settings.WEBSUB_HUB_URL)


def ping(feed_urls) -> bool:
    """Tell the hub each feed changed; True when it accepted every one (2xx)."""
    if not enabled():
        return True
    accepted = True
    for url in sorted(set(feed_urls)):
        body = urllib.parse.urlencode({"hub.mode": "publish", "hub.url": url}).encode()
        request = urllib.request.Request(
            settings.WEBSUB_HUB_URL,
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "zundapod-websub"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                ok = 200 <= response.status < 300
        except (urllib.error.URLError, OSError) as exc:
            logger.warning("WebSub hub %s refused or missed the ping for %s: %s", settings.WEBSUB_HUB_URL, url, exc)
            ok = False
        accepted = accepted and ok
    return accepted


def feed_urls(shows) -> list[str]:
    """The station feed's URL and these shows' feed URLs: what the hub is told about."""
    return [settings.SITE_URL + reverse("episodes:feed"), *(show.feed_url for show in shows)]


def announce_on_commit(shows) -> None:
    """Queue a ping for the station feed and these shows' feeds once the current transaction commits.

    The worker sends it (`ping_hub` below); never for a transaction rolled back.
    `shows` is only read when a hub is configured: a save without WebSub loads no show.
    """
    if not enabled():
        return
    enqueue_on_commit(ping_hub, feed_urls(shows()), group="websub")


def announce(urls) -> bool | None:
    """Ping for the feeds not pinged in the last MIN_INTERVAL_SECONDS: None when none was due, else `ping`'s answer."""
    # The throttle also makes several saves in a row one ping per feed.
    due = [url for url in urls if cache.add(f"zundapod:websub:recent:{url}", 1, MIN_INTERVAL_SECONDS)]
    if not due:
        return None
    return ping(due)


@side_effect("保存時の WebSub 通知")
def ping_hub(urls: list[str]) -> str:
    """Tell the WebSub hub about these feeds; a refusal fails the task (shown), and `websub_ping` retries it."""
    sent = announce(urls)
    if sent is None:
        return "直前に知らせたフィードなので送りませんでした。"
    if not sent:
        raise RuntimeError(
            f"WebSub ハブ {settings.WEBSUB_HUB_URL} が通知を受け付けませんでした（毎分の websub_ping が再送します）。"
        )
    return f"{len(urls)} 件のフィードをハブに知らせました。"
