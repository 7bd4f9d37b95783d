"""External audio is probed over real HTTP, reading as little as the server allows (episodes/media/remote_audio.py)."""

import io
import socket
import time
from urllib.request import Request

import pytest
from mutagen.mp3 import MP3 as MutagenMP3
from mutagen.mp4 import MP4

from episodes.media.audio import MIME_M4A, MIME_MP3, AudioError
from episodes.media.remote_audio import ProbeStats, RemoteAudioError, probe_remote_audio, timeline_duration
from episodes.media.remote_http import BLOCK_SIZE, USER_AGENT, Http, HttpRangeFile, _RedirectHandler, is_public_address
from tests.audio_server import JAPANESE_PATH, NOT_AUDIO, long_mp3
from tests.factories import M4A, MP3


@pytest.fixture
def refused_url():
    """A port with a bound socket that does not listen: connections are refused, with no race for the port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/tone.mp3"


def mutagen_length(data: bytes) -> float:
    return MutagenMP3(io.BytesIO(data)).info.length


def probe(url: str, **kwargs):
    kwargs.setdefault("timeout", 5)
    kwargs.setdefault("backoff", 0.01)
    stats = ProbeStats()
    return probe_remote_audio(url, stats=stats, **kwargs), stats


class TestRangeServer:
    def test_small_file_in_one_request(self, ranged):
        info, stats = probe(ranged.url("/tone.mp3"))
        assert info.size == MP3.stat().st_size
        assert info.duration == pytest.approx(MutagenMP3(MP3).info.length)
        assert info.mime_type == MIME_MP3
        assert info.bitrate == MutagenMP3(MP3).info.bitrate
        assert stats.requests == 1
        [hit] = ranged.hits
        assert (hit.method, hit.range, hit.status) == ("GET", f"bytes=0-{BLOCK_SIZE - 1}", 206)
        assert hit.user_agent == USER_AGENT

    def test_long_file_downloads_only_its_head_and_tail(self, ranged):
        data = long_mp3()
        info, stats = probe(ranged.url("/long.mp3"))
        assert info.size == len(data)
        assert info.duration == pytest.approx(mutagen_length(data))
        assert info.duration > 500
        assert stats.bytes_received == ranged.sent() <= 2 * BLOCK_SIZE
        assert stats.bytes_received < len(data) / 10
        assert all(hit.method == "GET" and hit.status == 206 for hit in ranged.hits)
        # The tail holds any ID3v1 tag; the length estimate needs only the size.
        assert ranged.hits[-1].range == f"bytes={len(data) // BLOCK_SIZE * BLOCK_SIZE}-{len(data) - 1}"

    def test_m4a(self, ranged):
        info, _ = probe(ranged.url("/tone.m4a"))
        assert info.size == M4A.stat().st_size
        assert info.mime_type == MIME_M4A
        assert info.duration == pytest.approx(MP4(M4A).info.length)

    def test_japanese_url_is_percent_encoded(self, ranged):
        info, _ = probe(ranged.origin + JAPANESE_PATH)
        assert info.size == MP3.stat().st_size
        assert [hit.path for hit in ranged.hits] == [JAPANESE_PATH]

    def test_redirect_is_followed_once_and_later_ranges_go_to_the_target(self, ranged):
        ranged.redirects["/old/long.mp3"] = "/long.mp3"
        info, _ = probe(ranged.url("/old/long.mp3"))
        assert info.size == len(long_mp3())
        assert [(hit.path, hit.status) for hit in ranged.hits] == [
            ("/old/long.mp3", 302),
            ("/long.mp3", 206),
            ("/long.mp3", 206),
        ]

    def test_size_from_head_when_content_range_leaves_it_out(self, ranged):
        ranged.unknown_total.add("/long.mp3")
        info, _ = probe(ranged.url("/long.mp3"))
        assert info.size == len(long_mp3())
        assert [hit.method for hit in ranged.hits].count("HEAD") == 1

    def test_a_small_download_cap_is_enough(self, ranged):
        info, _ = probe(ranged.url("/long.mp3"), max_download=3 * BLOCK_SIZE)
        assert info.size == len(long_mp3())

    def test_temporary_failure_is_retried(self, ranged):
        ranged.failures["/tone.mp3"] = 1
        info, stats = probe(ranged.url("/tone.mp3"), retries=1)
        assert info.size == MP3.stat().st_size
        assert [hit.status for hit in ranged.hits] == [503, 206]
        assert stats.requests == 2

    def test_retries_run_out(self, ranged):
        ranged.failures["/tone.mp3"] = 5
        with pytest.raises(RemoteAudioError) as caught:
            probe(ranged.url("/tone.mp3"), retries=2)
        assert caught.value.reason == "HTTP 503"
        assert caught.value.temporary
        assert len(ranged.hits) == 3


class TestServerWithoutRange:
    def test_whole_file_is_read_and_probed(self, plain):
        data = long_mp3()
        info, stats = probe(plain.url("/long.mp3"))
        assert info.size == len(data)
        assert info.duration == pytest.approx(mutagen_length(data))
        assert info.mime_type == MIME_MP3
        assert stats.bytes_received == len(data)
        assert [(hit.method, hit.status) for hit in plain.hits] == [("GET", 200)]

    def test_m4a(self, plain):
        info, _ = probe(plain.url("/tone.m4a"))
        assert (info.size, info.mime_type) == (M4A.stat().st_size, MIME_M4A)

    def test_file_over_the_cap_is_not_downloaded(self, plain):
        with pytest.raises(RemoteAudioError) as caught:
            probe(plain.url("/long.mp3"), max_download=100_000)
        assert caught.value.reason == "大きすぎて読めない"
        assert f"{len(long_mp3()):,} バイト" in str(caught.value)

    def test_timeline_length_stands_in_when_the_file_is_too_large(self, plain):
        info, stats = probe(plain.url("/long.mp3"), max_download=100_000, fallback_duration=512.5)
        assert (info.size, info.duration, info.mime_type, info.bitrate) == (len(long_mp3()), 512.5, MIME_MP3, 0)
        assert stats.duration_from_fallback


class TestTimelineFallback:
    def test_unreadable_audio_without_a_timeline_fails(self, ranged):
        with pytest.raises(RemoteAudioError) as caught:
            probe(ranged.url("/noise.mp3"))
        assert caught.value.reason == "MP3/M4A として読めない"
        assert "MP3 または M4A" in str(caught.value)
        assert not caught.value.temporary

    def test_timeline_length_when_mutagen_finds_none(self, ranged):
        info, stats = probe(ranged.url("/noise.mp3"), fallback_duration=61.0)
        assert (info.size, info.duration, info.mime_type) == (len(NOT_AUDIO), 61.0, MIME_MP3)
        assert stats.duration_from_fallback

    @pytest.mark.parametrize("fallback", [0, -3.0, None])
    def test_never_a_zero_length(self, ranged, fallback):
        with pytest.raises(RemoteAudioError):
            probe(ranged.url("/noise.mp3"), fallback_duration=fallback)

    def test_only_when_the_server_calls_it_mp3_or_m4a(self, ranged):
        with pytest.raises(RemoteAudioError):
            probe(ranged.url("/noise.bin"), fallback_duration=61.0)

    def test_timeline_duration_is_the_last_cue_end(self):
        assert timeline_duration([[0, 1.5, "はじめ"], [1.5, 93.25, "おわり"], [2.0, 3.0, "途中"]]) == 93.25
        assert timeline_duration([["x"], None, [0, "7.5", "文字列の秒"]]) == 7.5
        assert timeline_duration([]) is None
        assert timeline_duration([[0, 0, ""]]) is None


class TestFailures:
    def test_404_is_not_retried(self, ranged):
        with pytest.raises(RemoteAudioError) as caught:
            probe(ranged.url("/gone.mp3"), retries=2)
        assert caught.value.reason == "HTTP 404 見つからない"
        assert not caught.value.temporary
        assert len(ranged.hits) == 1

    @pytest.mark.parametrize("fallback", [None, 120.0])
    def test_html_page_is_refused_even_with_a_timeline(self, ranged, fallback):
        with pytest.raises(RemoteAudioError) as caught:
            probe(ranged.url("/page.mp3"), fallback_duration=fallback)
        assert caught.value.reason == "音声ではない応答"
        assert "text/html" in str(caught.value)

    def test_server_that_never_answers_times_out(self, ranged):
        ranged.hang.add("/slow.mp3")
        started = time.monotonic()
        with pytest.raises(RemoteAudioError) as caught:
            probe(ranged.url("/slow.mp3"), timeout=0.2, retries=1)
        assert caught.value.reason == "タイムアウト"
        assert caught.value.temporary
        assert "0.2 秒" in str(caught.value)
        assert len(ranged.hits) == 2
        assert time.monotonic() - started < 2

    def test_connection_refused(self, refused_url):
        with pytest.raises(RemoteAudioError) as caught:
            probe(refused_url, retries=0)
        assert caught.value.reason == "接続拒否"

    @pytest.mark.parametrize("server", ["ranged", "plain"])
    def test_empty_file(self, request, server):
        audio = request.getfixturevalue(server)
        with pytest.raises(RemoteAudioError) as caught:
            probe(audio.url("/empty.mp3"), fallback_duration=10.0)
        assert caught.value.reason == "空のファイル"

    @pytest.mark.parametrize(
        "url", ["ftp://example.com/a.mp3", "file:///etc/passwd", "/audio/a.mp3", "http://", "http://host:port/a.mp3"]
    )
    def test_only_absolute_http_urls(self, url):
        with pytest.raises(RemoteAudioError) as caught:
            probe(url)
        assert caught.value.reason == "URL の形が不正"

    def test_errors_are_audio_errors_for_the_editor(self, ranged):
        with pytest.raises(AudioError, match="HTTP 404"):
            probe_remote_audio(ranged.url("/gone.mp3"))


class TestHttpRangeFile:
    @pytest.fixture
    def remote(self, ranged):
        data = long_mp3()
        http = Http(timeout=5, retries=0, backoff=0, stats=ProbeStats())
        return data, HttpRangeFile(http, ranged.url("/long.mp3"), size=len(data), budget=len(data))

    def test_reads_and_seeks_like_a_local_file(self, remote):
        data, fileobj = remote
        local = io.BytesIO(data)
        for offset, whence, size in [(0, 0, 10), (100_000, 0, 300_000), (-128, 2, 500), (5, 1, 0), (-10, 2, -1)]:
            assert fileobj.seek(offset, whence) == local.seek(offset, whence)
            assert fileobj.read(size) == local.read(size)
            assert fileobj.tell() == local.tell()
        fileobj.seek(len(data) + 10)
        assert fileobj.read(5) == b""

    def test_each_block_is_fetched_once_and_neighbours_together(self, ranged, remote):
        data, fileobj = remote
        fileobj.seek(BLOCK_SIZE + 1)
        fileobj.read(3 * BLOCK_SIZE)  # four blocks, one request
        fileobj.seek(BLOCK_SIZE * 2)
        fileobj.read(BLOCK_SIZE)  # already here
        assert [hit.range for hit in ranged.hits] == [f"bytes={BLOCK_SIZE}-{5 * BLOCK_SIZE - 1}"]
        assert fileobj.http.stats.bytes_received == 4 * BLOCK_SIZE

    def test_a_failure_is_kept_and_not_retried_by_later_reads(self, ranged, remote):
        _, fileobj = remote
        ranged.failures["/long.mp3"] = 1
        with pytest.raises(RemoteAudioError):
            fileobj.read(10)
        with pytest.raises(RemoteAudioError):
            fileobj.read(10)
        assert fileobj.error.reason == "HTTP 503"
        assert len(ranged.hits) == 1


class TestOnlyPublicHosts:
    """Staff and API tokens choose the URLs: the probe must not reach inside the network."""

    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1:1/a.mp3",
            "http://localhost/a.mp3",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.5/a.mp3",
            "http://192.168.1.10/a.mp3",
            "http://[::1]/a.mp3",
            # IPv4 in IPv6 clothing (issue 12, finding 12): IPv4-compatible, IPv4-mapped, NAT64.
            "http://[::127.0.0.1]/a.mp3",
            "http://[::ffff:127.0.0.1]/a.mp3",
            "http://[::ffff:169.254.169.254]/a.mp3",
            "http://[64:ff9b::7f00:1]/a.mp3",
            "http://[64:ff9b::a9fe:a9fe]/a.mp3",
            "http://[2002:7f00:1::1]/a.mp3",
            "http://2130706433/a.mp3",
        ],
    )
    def test_private_addresses_are_refused_without_a_request(self, settings, url):
        settings.PROBE_AUDIO_ALLOW_PRIVATE_HOSTS = False
        with pytest.raises(RemoteAudioError) as excinfo:
            probe_remote_audio(url, timeout=1, retries=0)
        assert excinfo.value.reason == "内部のアドレス"

    def test_a_name_that_rebinds_to_loopback_after_the_check_is_never_reached(self, settings, monkeypatch, ranged):
        """Issue 12, finding 12: the check resolved the name, then urllib resolved it again to connect."""
        settings.PROBE_AUDIO_ALLOW_PRIVATE_HOSTS = False
        real_getaddrinfo = socket.getaddrinfo
        answers = []

        def switching_resolver(host, port, *args, **kwargs):
            if host != "rebind.example.com":
                return real_getaddrinfo(host, port, *args, **kwargs)
            # A public address for the first question, the loopback server for every later one.
            address = "93.184.215.14" if not answers else "127.0.0.1"
            answers.append(address)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 80))]

        monkeypatch.setattr(socket, "getaddrinfo", switching_resolver)
        url = ranged.url("/tone.mp3").replace("127.0.0.1", "rebind.example.com")

        with pytest.raises(RemoteAudioError) as excinfo:
            probe_remote_audio(url, timeout=1, retries=0)

        assert excinfo.value.reason == "内部のアドレス"
        assert ranged.hits == []
        assert answers == ["93.184.215.14", "127.0.0.1"]

    def test_each_connection_goes_to_the_address_it_checked(self, settings, monkeypatch):
        settings.PROBE_AUDIO_ALLOW_PRIVATE_HOSTS = False
        connected = []
        monkeypatch.setattr(
            socket,
            "getaddrinfo",
            lambda host, port, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))],
        )

        class Recorded(socket.socket):
            def connect(self, address):
                connected.append(address)
                raise ConnectionRefusedError

        monkeypatch.setattr(socket, "socket", Recorded)

        with pytest.raises(RemoteAudioError):
            probe_remote_audio("http://audio.example.com:8080/a.mp3", timeout=1, retries=0)

        assert connected == [("93.184.215.14", 8080)]

    @pytest.mark.parametrize(
        "address, public",
        [
            ("93.184.215.14", True),
            ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
            ("::127.0.0.1", False),
            ("::ffff:93.184.215.14", False),
            ("64:ff9b::5db8:d70e", False),
            ("64:ff9b:1::1", False),
            ("fe80::1%eth0", False),
            ("100.64.0.1", False),
        ],
    )
    def test_is_public_address(self, address, public):
        assert is_public_address(address) is public

    def test_a_redirect_into_the_network_is_refused(self, settings):
        settings.PROBE_AUDIO_ALLOW_PRIVATE_HOSTS = False
        request = Request("https://audio.example.com/a.mp3")
        with pytest.raises(RemoteAudioError) as excinfo:
            _RedirectHandler().redirect_request(request, None, 302, "Found", {}, "http://169.254.169.254/a.mp3")
        assert excinfo.value.reason == "内部のアドレス"
