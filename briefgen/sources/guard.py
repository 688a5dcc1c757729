"""The address guard: fetched URLs never reach loopback, private, link-local or metadata addresses.

A URL's host is resolved once, *inside the connection*: ``GuardedBackend`` is the httpcore
network backend of the fetch client, so its ``connect_tcp`` resolves the name, checks every
address it gets, and connects to exactly the address it checked. There is no
check-then-connect gap for DNS rebinding to slip through, and every redirect hop opens its
connections through the same door. TLS still verifies the certificate against the host
*name* (httpcore passes the original host as SNI), not against the address.

What is refused: every address that is not globally routable (``ipaddress``' ``is_global``
is False for loopback, RFC 1918 private, link-local — where cloud metadata lives —,
carrier-grade NAT, unique-local IPv6, unspecified and reserved ranges), multicast, and
IPv4 addresses hidden in IPv6 (``::ffff:10.0.0.1``). A host, address or network in the
allow list (``fetch_allow_hosts``), or ``fetch_allow_private``, lets one through.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpcore2
import httpx2
from httpcore2 import AsyncNetworkBackend, AsyncNetworkStream

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

# Named in the reason, because "link-local" alone does not tell a user why it matters.
METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
            ipaddress.ip_address("100.100.100.200")}


class BlockedAddress(Exception):
    """The guard refused to connect; the message is the one-line reason."""


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host`` (IP literals come back as they are)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise BlockedAddress(f"cannot resolve host {host!r}: {exc.strerror}") from None
    out: list[str] = []
    for *_, sockaddr in infos:
        addr = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone id
        if addr not in out:
            out.append(addr)
    return out


def _why_blocked(ip: IPAddress) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return _why_blocked(ip.ipv4_mapped)
    if ip in METADATA:
        return "a cloud metadata address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "not a public address"
    return None


@dataclass
class AddressPolicy:
    """Which addresses a fetch may connect to."""

    allow_private: bool = False
    allow_hosts: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._names: set[str] = set()
        self._nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in self.allow_hosts:
            try:
                self._nets.append(ipaddress.ip_network(entry.strip().strip("[]"), strict=False))
            except ValueError:
                self._names.add(entry.strip().lower().rstrip("."))

    def check(self, host: str, address: str) -> None:
        """Raise BlockedAddress unless ``host`` may be reached at ``address``."""
        if self.allow_private or host.lower().rstrip(".") in self._names:
            return
        ip = ipaddress.ip_address(address)
        if any(ip in net for net in self._nets):
            return
        why = _why_blocked(ip)
        if why:
            shown = host if host == address else f"{host} ({address})"
            raise BlockedAddress(f"refused to connect to {shown}: {why} "
                                 "(allow it with fetch_allow_hosts or fetch_allow_private)")


class GuardedBackend(AsyncNetworkBackend):
    """An httpcore network backend that resolves, checks and connects to the checked address."""

    def __init__(self, policy: AddressPolicy, *, resolver: Resolver = system_resolver,
                 inner: AsyncNetworkBackend | None = None) -> None:
        self.policy = policy
        self.resolver = resolver
        self.inner: AsyncNetworkBackend = inner or httpcore2.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> AsyncNetworkStream:
        addresses = await self.resolver(host, port)
        if not addresses:
            raise BlockedAddress(f"cannot resolve host {host!r}")
        # Every address is checked, not just the first: a name that also resolves inside the
        # network is refused whole rather than raced.
        for address in addresses:
            self.policy.check(host, address)
        last: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                                    socket_options=socket_options)
            except (httpcore2.ConnectError, httpcore2.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None) -> AsyncNetworkStream:
        raise BlockedAddress("unix sockets are never fetched")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedTransport(httpx2.AsyncHTTPTransport):
    """httpx's transport with the guarded backend and no proxy (a proxy would connect for us)."""

    def __init__(self, backend: GuardedBackend, *, max_connections: int = 16) -> None:
        # Not super().__init__(): it builds its pool without a network_backend hook.
        self._pool = httpcore2.AsyncConnectionPool(
            ssl_context=httpx2.create_ssl_context(trust_env=False),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            http1=True,
            http2=False,
            network_backend=backend,
        )


__all__ = ["AddressPolicy", "BlockedAddress", "GuardedBackend", "GuardedTransport", "system_resolver"]
