"""Which client a request is counted against: one rule for every per-IP limit and cap.

The client IP is the socket peer; ``X-Forwarded-For`` is believed only from a configured trusted
proxy, and then the right-most address no trusted proxy claims is the client (everything left of
it was written by the client itself and can be anything). The rate limiter and the games' per-IP
caps (votes, giveaway entries, red-packet grabs) all ask ``ClientAddresses``, built once per app.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.requests import HTTPConnection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_ip(peer: str, forwarded_for: list[str], trusted: list[Network]) -> str:
    """The address a request is counted against.

    Args:
        peer: the socket peer's address.
        forwarded_for: every ``X-Forwarded-For`` header value, in order.
        trusted: networks of the proxies whose ``X-Forwarded-For`` is believed.
    """

    def is_trusted(address: Address) -> bool:
        return any(address in network for network in trusted)

    peer_address = _address(peer)
    if peer_address is None or not is_trusted(peer_address):
        return peer
    hops = [hop for value in forwarded_for for hop in value.split(",")]
    client = peer_address
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            # Garbage where a trusted proxy should have written an address: count the last
            # address known to be real rather than a name the client chose.
            break
        client = address
        if not is_trusted(address):
            break
    return str(client)


class ClientAddresses:
    """The client IP of a request or websocket, with the trusted proxies parsed once."""

    def __init__(self, trusted_proxies: Iterable[str]) -> None:
        self._trusted: list[Network] = [
            ipaddress.ip_network(proxy, strict=False) for proxy in trusted_proxies
        ]

    def of(self, connection: HTTPConnection) -> str:
        """The address ``connection`` is counted against (see ``client_ip``)."""
        peer = connection.client.host if connection.client else ""
        return client_ip(peer, connection.headers.getlist("x-forwarded-for"), self._trusted)
