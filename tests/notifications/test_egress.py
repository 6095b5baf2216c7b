"""The SSRF guard: which addresses are refused, the allow list, and the pinned transport."""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from warroom.channels.egress_types import EgressRefused
from warroom.notifications.egress import EgressGuard


def resolver(table: dict[str, list[str]]) -> EgressGuard:
    """A guard with no allow list whose DNS answers come from ``table``."""

    def answer(host: str) -> Sequence[str]:
        if host not in table:
            raise EgressRefused(f"{host}: no such host")
        return table[host]

    return EgressGuard(resolver=answer)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (
            "http://169.254.169.254/latest/meta-data",
            "169.254.169.254 is link-local (cloud metadata)",
        ),
        ("http://[fd00:ec2::254]/", "fd00:ec2::254 is a private address (cloud metadata)"),
        ("http://10.0.0.1/hook", "10.0.0.1 is a private address"),
        ("https://192.168.1.5:8443/", "192.168.1.5 is a private address"),
        ("http://172.16.0.1/", "172.16.0.1 is a private address"),
        ("http://127.0.0.1:8080/", "127.0.0.1 is loopback"),
        ("http://[::1]/", "::1 is loopback"),
        ("http://0.0.0.0/", "0.0.0.0 is unspecified"),
        ("http://100.64.0.1/", "100.64.0.1 is a carrier-grade NAT address"),
        ("http://[::ffff:10.0.0.1]/", "= 10.0.0.1) is a private address"),
        ("http://[::ffff:169.254.169.254]/", "(cloud metadata)"),
        ("http://[fe80::1]/", "fe80::1 is link-local"),
        ("http://224.0.0.1/", "224.0.0.1 is multicast"),
        ("http://240.0.0.1/", "240.0.0.1 is"),
    ],
)
def test_forbidden_addresses_are_refused_with_the_reason(url: str, reason: str) -> None:
    with pytest.raises(EgressRefused) as refused:
        resolver({}).check(url)
    assert reason in refused.value.reason


def test_a_name_resolving_to_loopback_is_refused_unless_allowed() -> None:
    table = {"hooks.internal.test": ["127.0.0.1"]}
    with pytest.raises(EgressRefused, match=r"127\.0\.0\.1 is loopback"):
        resolver(table).check("https://hooks.internal.test/x")
    allowed = EgressGuard.from_setting("127.0.0.1", resolver=resolver(table).resolver)
    assert allowed.check("https://hooks.internal.test/x") == ["127.0.0.1"]


def test_a_cidr_allow_entry_covers_its_addresses_only() -> None:
    guard = EgressGuard.from_setting(" 10.1.0.0/16 , ,fd12::/16")
    assert guard.check("http://10.1.2.3/") == ["10.1.2.3"]
    assert guard.check("http://[fd12::5]/") == ["fd12::5"]
    assert guard.check("http://[::ffff:10.1.0.9]/") == ["::ffff:a01:9"]
    with pytest.raises(EgressRefused, match=r"10\.2\.0\.1 is a private address"):
        guard.check("http://10.2.0.1/")


def test_every_resolved_address_must_pass() -> None:
    guard = resolver({"mixed.example.test": ["93.184.216.34", "10.0.0.1"]})
    with pytest.raises(EgressRefused, match=r"10\.0\.0\.1 is a private address"):
        guard.check("https://mixed.example.test/")


def test_a_public_address_is_allowed() -> None:
    guard = resolver({"example.com": ["93.184.216.34", "2606:2800:220:1::1"]})
    assert guard.check("https://example.com/hook") == ["93.184.216.34", "2606:2800:220:1::1"]
    guard.guard("https://93.184.216.34/")


def test_unknown_hosts_and_other_schemes_are_refused() -> None:
    guard = resolver({})
    with pytest.raises(EgressRefused, match="no such host"):
        guard.check("https://nowhere.example.test/")
    with pytest.raises(EgressRefused, match="only http and https"):
        guard.check("ftp://93.184.216.34/")
    with pytest.raises(EgressRefused, match="no host"):
        guard.check("https:///path")


def test_apprise_urls_check_hosts_and_let_tokens_and_hostless_schemes_pass() -> None:
    guard = resolver({"ntfy.example.test": ["10.0.0.7"], "gotify.example.com": ["93.184.216.34"]})
    assert guard.check_any_scheme("tgram://123456789:ABCdef/42") == []
    assert guard.check_any_scheme("windows://") == []
    assert guard.check_any_scheme("gotify://gotify.example.com/token") == ["93.184.216.34"]
    with pytest.raises(EgressRefused, match=r"10\.0\.0\.7 is a private address"):
        guard.guard("ntfys://ntfy.example.test/topic")
    with pytest.raises(EgressRefused, match=r"169\.254\.169\.254"):
        guard.guard("json://169.254.169.254/")
    with pytest.raises(EgressRefused, match="no such host"):
        guard.check_any_scheme("json://gone.example.test/")
    guard.guard("discord://1234/token")
    with pytest.raises(EgressRefused, match="only http and https"):
        guard.check("discord://1234/token")


@pytest.mark.parametrize("entry", ["localhost", "10.0.0.0/33", "300.1.1.1", "10.0.0.1/8/2"])
def test_invalid_allow_entries_name_the_entry(entry: str) -> None:
    with pytest.raises(ValueError, match=entry.replace(".", r"\.")):
        EgressGuard.from_setting(f"127.0.0.1,{entry}")


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"host={self.headers['Host']}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(server: HTTPServer) -> Iterator[int]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def http_port() -> Iterator[int]:
    yield from _serve(HTTPServer(("127.0.0.1", 0), _Echo))


@pytest.fixture
def tls_port(tmp_path: Path) -> Iterator[int]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hooks.example.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("hooks.example.test")]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server = HTTPServer(("127.0.0.1", 0), _Echo)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    yield from _serve(server)


def _loopback_guard() -> EgressGuard:
    return EgressGuard.from_setting(
        "127.0.0.1", resolver=lambda host: ["127.0.0.1"] if host == "hooks.example.test" else []
    )


def test_pinned_transport_connects_to_the_checked_address_with_the_original_host(
    http_port: int,
) -> None:
    with httpx.Client(transport=_loopback_guard().pinned_transport()) as client:
        response = client.get(f"http://hooks.example.test:{http_port}/hook")
    assert response.text == f"host=hooks.example.test:{http_port}"
    assert response.request.url.host == "hooks.example.test"


def test_pinned_transport_verifies_tls_against_the_host_name(tls_port: int, tmp_path: Path) -> None:
    verify = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
    with httpx.Client(transport=_loopback_guard().pinned_transport(verify=verify)) as client:
        response = client.get(f"https://hooks.example.test:{tls_port}/hook")
    assert response.text == f"host=hooks.example.test:{tls_port}"


def test_dns_rebinding_between_check_and_connect_is_refused() -> None:
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])
    guard = EgressGuard(resolver=lambda host: next(answers))
    guard.guard("https://rebind.example.test/hook")
    with (
        httpx.Client(transport=guard.pinned_transport()) as client,
        pytest.raises(EgressRefused, match=r"127\.0\.0\.1 is loopback"),
    ):
        client.post("https://rebind.example.test/hook", json={})


def test_a_redirect_target_is_checked_like_any_request() -> None:
    guard = resolver({})
    with (
        httpx.Client(transport=guard.pinned_transport()) as client,
        pytest.raises(EgressRefused, match=r"169\.254\.169\.254 is link-local"),
    ):
        client.get("http://169.254.169.254/latest/meta-data/")
