"""The player's template filters (episodes/site/templatetags/player.py)."""

import pytest

from episodes.site.templatetags.player import clock


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, ""), ("", ""), (0, "0:00"), (65.166, "1:05"), (59.999, "0:59"), (600, "10:00"), (3723.5, "1:02:03")],
)
def test_clock_is_what_players_show(seconds, text):
    assert clock(seconds) == text


@pytest.mark.django_db
def test_every_page_shows_an_episode_length_as_the_player_does(client):
    """82.52 s is 1:22 in Chromium's controls: the card, the page and the embed say the same (they said 1:23 and 1:22)."""
    from episodes.catalogue.models import Episode
    from tests.factories import make_episode

    episode = make_episode(number=700)
    Episode.objects.filter(pk=episode.pk).update(audio_duration=82.52)  # the save measured the 2 s test MP3
    for path in ("/", episode.show.get_absolute_url(), "/episode/700", "/episode/700/embed"):
        page = client.get(path).content.decode()
        assert "1:22" in page, path
        assert "1:23" not in page, path
