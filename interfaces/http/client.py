"""Who is calling, as far as the network can tell: the peer address of the connection, or,
when that peer is a trusted proxy (``TRUSTED_PROXIES``), the nearest address in
``X-Forwarded-For`` that is not one of the trusted proxies. Anything a client could forge
(an ``X-Forwarded-For`` from an untrusted peer) is ignored."""

from __future__ import annotations

import ipaddress

from fastapi import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(text: str, networks: tuple[Network, ...]) -> bool:
    address = _address(text)
    return address is not None and any(address in network for network in networks)


def client_address(request: Request) -> str:
    peer = request.client.host if request.client else "unknown"
    networks: tuple[Network, ...] = request.app.state.settings.trusted_proxy_networks
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
    for hop in reversed(hops):  # the rightmost hops were added by our own proxies
        if _address(hop) is None:
            return peer  # a malformed chain proves nothing
        if not _trusted(hop, networks):
            return str(_address(hop))
    return peer
