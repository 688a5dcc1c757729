"""The address guard: which addresses are refused, and that the connection goes to the checked one."""

from __future__ import annotations

import asyncio
from typing import Any

import httpcore2
import pytest
from feedserver import FeedServer, feed_server  # noqa: F401

from briefgen.sources.guard import AddressPolicy, BlockedAddress, GuardedBackend, GuardedTransport

REFUSED = {
    "127.0.0.1": "loopback", "127.8.9.10": "loopback", "::1": "loopback",
    "10.1.2.3": "private", "172.16.5.4": "private", "192.168.0.10": "private", "fd12:3456::1": "private",
    "169.254.169.254": "metadata", "fd00:ec2::254": "metadata", "169.254.10.1": "link-local", "fe80::1": "link-local",
    "::ffff:127.0.0.1": "loopback", "::ffff:10.0.0.1": "private", "0.0.0.0": "unspecified",
    "224.0.0.251": "multicast", "100.64.0.1": "not a public address",
}


@pytest.mark.parametrize("address", sorted(REFUSED))
def test_non_public_addresses_are_refused_with_the_reason(address: str) -> None:
    with pytest.raises(BlockedAddress) as info:
        AddressPolicy().check("feeds.example", address)
    assert REFUSED[address] in str(info.value) and "fetch_allow_hosts" in str(info.value)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "1.1.1.1"])
def test_public_addresses_pass(address: str) -> None:
    AddressPolicy().check("news.example", address)


def test_the_allow_list_takes_hosts_addresses_and_networks() -> None:
    policy = AddressPolicy(allow_hosts=["intranet.example", "127.0.0.1", "10.20.0.0/16"])
    policy.check("intranet.example", "192.168.1.1")  # by name
    policy.check("x.example", "127.0.0.1")  # by address
    policy.check("y.example", "10.20.3.4")  # in the network
    with pytest.raises(BlockedAddress):
        policy.check("y.example", "10.21.0.1")
    with pytest.raises(BlockedAddress):
        policy.check("z.example", "127.0.0.2")
    AddressPolicy(allow_private=True).check("any.example", "10.0.0.1")


class RecordingBackend(httpcore2.AsyncNetworkBackend):
    """Stands under the guard: records where it was asked to connect; connects only to 127.0.0.1."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []
        self.real = httpcore2.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: Any = None) -> httpcore2.AsyncNetworkStream:
        self.calls.append((host, port))
        if host != "127.0.0.1":  # whatever the guard does, this test never sends a packet elsewhere
            raise httpcore2.ConnectError(f"test backend: no connection to {host}")
        return await self.real.connect_tcp(host, port, timeout=timeout)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def _resolver(table: dict[str, list[str]], asked: list[str]) -> Any:
    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return table[host]
    return resolve


async def _get(backend: GuardedBackend, url: str) -> int:
    import httpx2

    async with httpx2.AsyncClient(transport=GuardedTransport(backend), trust_env=False) as client:
        return (await client.get(url)).status_code


def test_the_connection_goes_to_the_address_that_was_checked(feed_server: FeedServer) -> None:
    feed_server.route("/ok", "fine", content_type="text/plain")
    inner, asked = RecordingBackend(), []
    backend = GuardedBackend(AddressPolicy(allow_hosts=["127.0.0.1"]), inner=inner,
                             resolver=_resolver({"feeds.example": ["127.0.0.1"]}, asked))
    assert asyncio.run(_get(backend, f"http://feeds.example:{feed_server.port}/ok")) == 200
    # Resolved once, and the socket went to that very address, not to a second lookup of the name.
    assert asked == ["feeds.example"] and inner.calls == [("127.0.0.1", feed_server.port)]
    assert feed_server.hits("/ok")[0].headers["host"] == f"feeds.example:{feed_server.port}"


def test_a_name_that_also_resolves_inside_the_network_is_refused_whole() -> None:
    inner = RecordingBackend()
    backend = GuardedBackend(AddressPolicy(), inner=inner,
                             resolver=_resolver({"rebind.example": ["93.184.216.34", "10.0.0.7"]}, []))
    with pytest.raises(BlockedAddress, match="10.0.0.7"):
        asyncio.run(_get(backend, "http://rebind.example/"))
    assert inner.calls == []


def test_the_system_resolver_path_refuses_localhost_by_default(feed_server: FeedServer) -> None:
    feed_server.route("/ok", "fine", content_type="text/plain")
    with pytest.raises(BlockedAddress, match="loopback"):
        asyncio.run(_get(GuardedBackend(AddressPolicy()), f"http://localhost:{feed_server.port}/ok"))
    assert feed_server.requests == []
