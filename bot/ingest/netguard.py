"""Which network addresses the bot may connect to, and the errors of a fetch.

`address_problem` names what is dangerous about an address (loopback, private, link-local,
multicast, reserved, unspecified, shared/CGNAT, cloud metadata...), looking through every
IPv6 form that carries an IPv4 address (IPv4-mapped, IPv4-compatible, 6to4, Teredo, NAT64
both well-known and local-use), so `[::ffff:169.254.169.254]` is the metadata address it
carries. `AddressGuard` resolves a host name and keeps the addresses the `FetchPolicy`
allows: private ones only with `GROKWATCH_ALLOW_PRIVATE_URLS` or an allow-list entry, cloud
metadata (in any form) only when an allow-list CIDR names it.

`FetchError` (and `BlockedURL`) are the only errors a fetch raises for a bad URL or a bad
server; their message is one sentence for a user.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from bot import __version__

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_USER_AGENT = f"grokwatch/{__version__} (news-tracking bot; feeds and pages it follows)"

# Cloud metadata endpoints: refused even when private addresses are allowed, unless an
# allow-list CIDR names them explicitly.
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack...
        ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
        ipaddress.ip_address("fd00:ec2::254"),  # AWS IMDS over IPv6
    }
)
# prefixes whose last 32 bits are an IPv4 address (RFC 6052 well-known, RFC 8215 local-use)
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT


class FetchError(Exception):
    """A fetch that failed; the message says what happened, for a user.

    `permanent`: retrying the same URL cannot help (refused address, not a feed...)."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float = 0.0):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class BlockedURL(FetchError):
    """The URL or an address it resolves to is not allowed; no connection was made."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    timeout: float = 15.0  # connect and per-read timeout, seconds
    total_timeout: float = 30.0  # the whole fetch, redirects and body included
    max_bytes: int = 5_000_000  # on the wire, and again once inflated
    max_redirects: int = 5
    user_agent: str = DEFAULT_USER_AGENT
    allow_private: bool = False
    allow_hosts: frozenset[str] = frozenset()  # host names allowed whatever they resolve to
    allow_networks: tuple[Network, ...] = ()  # addresses allowed even if private

    @classmethod
    def build(
        cls,
        *,
        allow: Iterable[str] = (),
        **kw: object,
    ) -> FetchPolicy:
        """A policy whose allow-list entries are CIDRs/addresses or host names."""
        hosts: set[str] = set()
        nets: list[Network] = []
        for entry in allow:
            entry = entry.strip()
            if not entry:
                continue
            try:
                nets.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.casefold().rstrip("."))
        return cls(allow_hosts=frozenset(hosts), allow_networks=tuple(nets), **kw)  # type: ignore[arg-type]


def embedded_v4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, Teredo, NAT64),
    if any."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if any(ip in net for net in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if 1 < int(ip) <= 0xFFFFFFFF:  # IPv4-compatible (deprecated): ::a.b.c.d
        return ipaddress.IPv4Address(int(ip))
    return None


def is_metadata(ip: IPAddress) -> bool:
    """True for a cloud metadata address, in any form (`::ffff:169.254.169.254`...)."""
    inner = embedded_v4(ip)
    return ip in METADATA_ADDRESSES or (inner is not None and inner in METADATA_ADDRESSES)


def address_problem(ip: IPAddress) -> str | None:
    """Why connecting to `ip` is dangerous ("a private address"...), or None."""
    if is_metadata(ip):
        return "a cloud metadata address"
    inner = embedded_v4(ip)
    if inner is not None:
        return address_problem(inner)
    checks = (
        (ip.is_loopback, "a loopback address"),
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_reserved, "a reserved address"),
        (ip.is_private, "a private address"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED, "a shared (CGNAT) address"),
        (not ip.is_global, "a non-public address"),
    )
    for bad, why in checks:
        if bad:
            return why
    return None


class AddressGuard:
    """Resolves host names and says which of their addresses may be connected to."""

    def __init__(self, policy: FetchPolicy) -> None:
        self.policy = policy

    def allowed(self, host: str, ip: IPAddress) -> str | None:
        """None when `ip` (an address of `host`) may be used, else why not."""
        if any(ip in net for net in self.policy.allow_networks):
            return None
        problem = address_problem(ip)
        if problem is None:
            return None
        if is_metadata(ip):
            return problem  # only an explicit CIDR allows these, in whatever form
        if self.policy.allow_private or host.casefold().rstrip(".") in self.policy.allow_hosts:
            return None
        return problem

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """The addresses of `host` that may be connected to; BlockedURL if none."""
        if not host:
            raise BlockedURL("the URL has no host")
        literal: IPAddress | None
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            literal = None
        if literal is not None:
            infos = [literal]
        else:
            try:
                raw = await asyncio.get_running_loop().getaddrinfo(
                    host, port, type=socket.SOCK_STREAM
                )
            except (socket.gaierror, UnicodeError, ValueError) as exc:
                raise FetchError(f"cannot resolve {host}: {exc}") from None
            infos = []
            for *_, sockaddr in raw:
                try:
                    ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
                except ValueError:
                    continue
                if ip not in infos:
                    infos.append(ip)
        if not infos:
            raise FetchError(f"{host} has no address")
        good: list[IPAddress] = []
        refused: list[str] = []
        for ip in infos:
            why = self.allowed(host, ip)
            if why is None:
                good.append(ip)
            else:
                refused.append(f"{ip} is {why}")
        if not good:
            raise BlockedURL(
                f"refused to fetch from {host}: {'; '.join(refused)} "
                "(set GROKWATCH_ALLOW_PRIVATE_URLS or GROKWATCH_URL_ALLOWLIST to allow it)"
            )
        return good
