"""The SSRF guard for outgoing messages: refuse private addresses and pin the ones checked."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from warroom.channels.egress_types import EgressRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str], Sequence[str]]

HTTP_SCHEMES = frozenset({"http", "https"})
METADATA = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
CARRIER_GRADE_NAT = ipaddress.ip_network("100.64.0.0/10")


def resolve(host: str) -> list[str]:
    """The addresses ``host`` resolves to, in the resolver's order, without repeats."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise EgressRefused(f"{host}: no such host") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _kind(ip: IPAddress) -> str | None:
    """Why ``ip`` must not be reached, or None for a public address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return _kind(ip.ipv4_mapped)
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip in CARRIER_GRADE_NAT:
        return "a carrier-grade NAT address"
    if ip.is_private:
        return "a private address"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "not a public address"
    return None


class EgressGuard:
    """Decides which addresses outgoing messages may reach; built from ``WARROOM_EGRESS_ALLOW``."""

    def __init__(self, allow: Iterable[IPNetwork] = (), resolver: Resolver = resolve) -> None:
        self.allow = tuple(allow)
        self.resolver = resolver

    @classmethod
    def from_setting(cls, text: str, resolver: Resolver = resolve) -> EgressGuard:
        """A guard allowing the comma-separated addresses or CIDRs in ``text``."""
        networks: list[IPNetwork] = []
        for raw in text.split(","):
            entry = raw.strip()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError as exc:
                raise ValueError(
                    f"egress allow entry {entry!r} is not an IP address or CIDR"
                ) from exc
        return cls(networks, resolver)

    def _allowed(self, ip: IPAddress) -> bool:
        candidates: list[IPAddress] = [ip]
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            candidates.append(ip.ipv4_mapped)
        return any(c in net for c in candidates for net in self.allow if c.version == net.version)

    def check_address(self, address: str) -> None:
        """Raise EgressRefused unless ``address`` is public or allowed."""
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError as exc:
            raise EgressRefused(f"{address} is not an IP address") from exc
        if self._allowed(ip):
            return
        kind = _kind(ip)
        mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
        label = f"{ip} (= {mapped})" if mapped is not None else str(ip)
        if ip in METADATA or mapped in METADATA:
            raise EgressRefused(f"{label} is {kind or 'reserved'} (cloud metadata)")
        if kind is not None:
            raise EgressRefused(f"{label} is {kind}")

    def check_host(self, host: str) -> list[str]:
        """The addresses of ``host`` (an IP literal or a name); refused unless every one passes."""
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            addresses = list(self.resolver(host))
        if not addresses:
            raise EgressRefused(f"{host}: no such host")
        for address in addresses:
            self.check_address(address)
        return addresses

    def check(self, url: str) -> list[str]:
        """The allowed addresses an http(s) URL's host resolves to; raises EgressRefused."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in HTTP_SCHEMES:
            raise EgressRefused(f"only http and https URLs may be used, not {parts.scheme!r}")
        if not parts.hostname:
            raise EgressRefused("the URL has no host")
        return self.check_host(parts.hostname)

    def check_any_scheme(self, url: str) -> list[str]:
        """Like ``check`` for any scheme (Apprise); a URL without a host, or a token, passes."""
        try:
            host = urlsplit(url).hostname
        except ValueError as exc:
            raise EgressRefused("the URL cannot be parsed") from exc
        if not host:
            return []
        try:
            return self.check_host(host)
        except EgressRefused:
            # Apprise puts tokens where a host goes (tgram://TOKEN/...): a dotless name that
            # does not resolve is such a token, reached through the service's public API.
            if "." in host or ":" in host or self._resolves(host):
                raise
            return []

    def _resolves(self, host: str) -> bool:
        try:
            return bool(self.resolver(host))
        except EgressRefused:
            return False

    def guard(self, url: str) -> None:
        """The channels' hook (one for all): ``check`` for http(s), else ``check_any_scheme``."""
        if urlsplit(url).scheme.lower() in HTTP_SCHEMES:
            self.check(url)
        else:
            self.check_any_scheme(url)

    def pinned_transport(self, **httpx_kwargs: Any) -> httpx.BaseTransport:
        """An httpx transport that checks every request and connects only to a checked address."""
        return PinnedTransport(self, httpx.HTTPTransport(**httpx_kwargs))


class PinnedTransport(httpx.BaseTransport):
    """Connects to the address the guard checked, keeping the Host header and the TLS name."""

    def __init__(self, guard: EgressGuard, inner: httpx.BaseTransport) -> None:
        self.guard = guard
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Check the request's host, then send it to the first checked address."""
        host = request.url.host
        address = self.guard.check(str(request.url))[0]
        extensions = dict(request.extensions)
        if request.url.scheme == "https" and address != host:
            extensions.setdefault("sni_hostname", host)
        # Headers already carry the original Host, built from the URL before pinning.
        pinned = httpx.Request(
            request.method,
            request.url.copy_with(host=address),
            headers=request.headers,
            stream=request.stream,
            extensions=extensions,
        )
        return self.inner.handle_request(pinned)

    def close(self) -> None:
        """Close the wrapped transport's connections."""
        self.inner.close()
