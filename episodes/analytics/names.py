"""The names editors read for apps and devices: OPAWG's names as stored, shown merged and in Japanese.

Aggregates keep the list's own names (an update of the list or of these
choices needs no recount); the reports map them here, summing rows that
become one name, so old and new aggregates read the same.

Merged: OPAWG lists `AppleCoreMedia` (libraries.json, pattern
`^AppleCoreMedia(/|$)`) apart from `Apple Podcasts` (apps.json) because the
header alone cannot tell who used Apple's media framework. For a podcast
feed it is almost always Apple Podcasts itself: the app names itself
(`Podcasts/…`) when it downloads an episode and goes through AVPlayer, which
sends `AppleCoreMedia/…`, when it streams one. Counted apart, the station's
biggest app showed as two middling ones. The few other iOS players that
stream through AVPlayer without naming themselves are counted with it too.
"""

# OPAWG app or library name -> the app it is shown as.
APP_ALIASES = {
    "AppleCoreMedia": "Apple Podcasts",
}

# OPAWG device names (devices.json) in Japanese; product names stay as their makers write them.
DEVICE_NAMES = {
    "Apple HomePod": "HomePod",
    "Apple iPad": "iPad",
    "Apple TV": "Apple TV",
    "Apple iPhone": "iPhone",
    "Apple Watch": "Apple Watch",
    "Apple iPod": "iPod",
    "Apple Computer": "Mac",
    "Google Home": "Google Home",
    "Google Chromebook": "Chromebook",
    "Android Tablet": "Android タブレット",
    "Smart Car": "車載機器",
    "Other Smart TV": "その他のスマートテレビ",
    "Android Phone": "Android スマートフォン",
    "Windows Computer": "Windows パソコン",
    "Amazon Smart Speaker": "Amazon のスマートスピーカー",
    "Other Smart Speaker": "その他のスマートスピーカー",
    "Other Computer": "その他のパソコン",
    "Other Tablet": "その他のタブレット",
    "Other Watch": "その他のスマートウォッチ",
    "Other Mobile Device": "その他のモバイル端末",
}


def app_name(stored: str) -> str:
    """The app a stored app name is shown as."""
    return APP_ALIASES.get(stored, stored)


def device_name(stored: str) -> str:
    """A stored device name in Japanese (a name the list adds later is shown as it is)."""
    return DEVICE_NAMES.get(stored, stored)


def episode_label(episode) -> str:
    """A chart's label for an episode: what tells it apart first, its show last.

    Every title starts with its show's name ("<番組名> podcast 20260821"), so a
    label cut to fit kept only the show and lost the date.
    """
    title, show = episode.title, episode.show.name
    rest = title.replace(show, " ").strip(" \u3000-–—:：|｜") if show else title
    return f"#{episode.number} {rest}｜{show}" if rest and rest != title else f"#{episode.number} {title}"
