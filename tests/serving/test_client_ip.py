"""Who the client is (episodes/serving/client_ip.py): letters, analytics and login throttling all ask this."""

import pytest
from django.test import RequestFactory

from episodes.serving.client_ip import client_ip, client_key


class TestClientIp:
    def request(self, **meta):
        return RequestFactory().post("/letters/", **meta)

    def test_remote_addr_by_default(self):
        assert client_ip(self.request(REMOTE_ADDR="203.0.113.7")) == "203.0.113.7"

    def test_forwarded_header_ignored_unless_trusted(self, settings):
        settings.TRUSTED_CLIENT_IP_HEADER = ""
        request = self.request(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9")
        assert client_ip(request) == "10.0.0.1"

    @pytest.mark.parametrize("name", ["X-Forwarded-For", "HTTP_X_FORWARDED_FOR", "x-forwarded-for"])
    def test_trusted_header_last_address(self, settings, name):
        settings.TRUSTED_CLIENT_IP_HEADER = name
        request = self.request(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.9")
        assert client_ip(request) == "198.51.100.9"

    @pytest.mark.parametrize("value", ["", "garbage", "1.2.3.4.5", "<script>"])
    def test_bad_trusted_header_falls_back_to_remote_addr(self, settings, value):
        settings.TRUSTED_CLIENT_IP_HEADER = "X-Real-IP"
        assert client_ip(self.request(REMOTE_ADDR="10.0.0.1", HTTP_X_REAL_IP=value)) == "10.0.0.1"


class TestClientKey:
    def test_an_ipv6_host_is_its_subscriber_line(self):
        assert client_key("2001:db8:1:2::1") == client_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"

    def test_an_ipv4_mapped_address_is_the_ipv4_address(self):
        assert client_key("::ffff:203.0.113.7") == "203.0.113.7"

    def test_anything_else_is_kept_as_it_is(self):
        assert client_key("unknown") == "unknown"
