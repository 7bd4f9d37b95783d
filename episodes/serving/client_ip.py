"""Who the client is: its address (behind a trusted proxy, from the header it writes) and the key it is counted by.

Letters' flood control, download analytics and login throttling all count clients
this one way, under one setting, TRUSTED_CLIENT_IP_HEADER.
"""

import ipaddress

from django.conf import settings

# Addresses in the same IPv6 /64 belong to one subscriber line.
IPV6_PREFIX = 64


def trusted_header() -> str:
    """The META key of the proxy's client-address header (`X-Forwarded-For` → `HTTP_X_FORWARDED_FOR`), or ""."""
    header = settings.TRUSTED_CLIENT_IP_HEADER.strip().upper().replace("-", "_")
    if header and not header.startswith("HTTP_"):
        header = "HTTP_" + header
    return header


def client_ip(request) -> str:
    """The sender's address: REMOTE_ADDR, or the trusted proxy header when one is configured.

    With several proxies in X-Forwarded-For, the last address is the one our
    own proxy added; anything to its left was written by the client.
    """
    header = trusted_header()
    candidates = []
    if header:
        candidates.append(request.META.get(header, "").split(",")[-1])
    candidates.append(request.META.get("REMOTE_ADDR", ""))
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate.strip()))
        except ValueError:
            continue
    return "unknown"


def client_key(ip: str) -> str:
    """The address as one client: an IPv6 host is its /64 (privacy addresses rotate inside it)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6 and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False))
    return str(address)
