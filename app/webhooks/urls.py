"""Which URLs webhooks may be sent to: http(s) URLs whose host resolves only to public
addresses, unless `RACI_WEBHOOK_ALLOW_PRIVATE=true` (issue 21). Checked when an endpoint is
registered or changed, and again before every delivery, since DNS answers change.
"""

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

Resolver = Callable[[str, int], list[str]]


class RefusedUrl(ValueError):
    """A URL webhooks must not be sent to; the message says why."""


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _private(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def check_url(url: str, *, allow_private: bool, resolve: Resolver = _resolve) -> None:
    """Raise RefusedUrl unless `url` is an absolute http(s) URL with a host and, when
    `allow_private` is false, every address the host resolves to is public (not private,
    loopback, link-local, multicast, reserved or unspecified)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise RefusedUrl(f"is not a valid URL: {error}") from None
    if parts.scheme not in ("http", "https"):
        raise RefusedUrl("must be an http or https URL")
    host = parts.hostname
    if not host:
        raise RefusedUrl("names no host")
    if parts.username or parts.password:
        raise RefusedUrl("must not carry a user name or password")
    if allow_private:
        return
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            found = resolve(host, port or (443 if parts.scheme == "https" else 80))
        except (OSError, UnicodeError) as error:
            raise RefusedUrl(f"host {host!r} does not resolve ({error})") from None
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
    if not addresses:
        raise RefusedUrl(f"host {host!r} does not resolve")
    refused = sorted({str(a) for a in addresses if _private(a)})
    if refused:
        raise RefusedUrl(
            f"resolves to a private, loopback or link-local address ({', '.join(refused)}); "
            "set RACI_WEBHOOK_ALLOW_PRIVATE=true to allow it"
        )
