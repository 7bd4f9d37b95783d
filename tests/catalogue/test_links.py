"""YouTube URLs in every common form give the video id; others give None."""

import pytest

from episodes.catalogue.links import youtube_video_id


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/watch?v=0aR63e1eKtA",
        "https://youtube.com/watch?feature=share&v=0aR63e1eKtA",
        "https://m.youtube.com/watch?v=0aR63e1eKtA&t=10s",
        "https://youtu.be/0aR63e1eKtA",
        "https://youtu.be/0aR63e1eKtA?si=abc",
        "https://www.youtube.com/embed/0aR63e1eKtA",
        "https://www.youtube-nocookie.com/embed/0aR63e1eKtA?autoplay=1",
        "https://www.youtube.com/shorts/0aR63e1eKtA",
        "https://www.youtube.com/live/0aR63e1eKtA",
        " http://www.youtube.com/watch?v=0aR63e1eKtA ",
    ],
)
def test_video_id(url):
    assert youtube_video_id(url) == "0aR63e1eKtA"


@pytest.mark.parametrize(
    "url",
    [
        "",
        "https://example.com/watch?v=0aR63e1eKtA",
        "https://www.youtube.com/watch?v=short",
        "https://www.youtube.com/channel/UCabcdefghijk",
        "https://www.youtube.com/watch?v=0aR63e1eKtA<script>",
        "javascript:alert(1)//youtu.be/0aR63e1eKtA",
        "https://youtu.be/",
    ],
)
def test_not_a_video(url):
    assert youtube_video_id(url) is None
