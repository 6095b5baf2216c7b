"""SNS envelopes, canonical strings, certificate sources and signature verification."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from warroom.pipeline.event import SourceError, VerificationFailed
from warroom.sources import sns
from warroom.sources.sns import (
    CertificateUnavailable,
    DirectoryCertificates,
    HttpsCertificates,
    SnsMessage,
    certificates_from,
    check_cert_url,
    parse_envelope,
    string_to_sign,
    verify,
)

CERT_NAME = "SimpleNotificationService-test.pem"
CERT_URL = f"https://sns.eu-west-1.amazonaws.com/{CERT_NAME}"
NOW = datetime(2026, 11, 17, 13, 51, tzinfo=UTC)
TOPIC = "arn:aws:sns:eu-west-1:123456789012:alarms"


def _certificate(key: rsa.RSAPrivateKey) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2040, 1, 1, tzinfo=UTC))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def cert_dir(key: rsa.RSAPrivateKey, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("sns-certs")
    (directory / CERT_NAME).write_bytes(_certificate(key))
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (directory / "SimpleNotificationService-other.pem").write_bytes(_certificate(other))
    (directory / "SimpleNotificationService-junk.pem").write_bytes(b"not a certificate")
    return directory


def envelope(**overrides: Any) -> dict[str, Any]:
    """A Notification envelope with a placeholder signature."""
    document: dict[str, Any] = {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": TOPIC,
        "Subject": 'ALARM: "cpu-high" in EU (Ireland)',
        "Message": '{"AlarmName":"cpu-high",\n"NewStateValue":"ALARM"}',
        "Timestamp": "2026-11-17T13:50:42.016Z",
        "SignatureVersion": "1",
        "Signature": "AAAA",
        "SigningCertURL": CERT_URL,
        "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe",
    }
    document.update(overrides)
    return {name: value for name, value in document.items() if value is not ...}


def confirmation(**overrides: Any) -> dict[str, Any]:
    """A SubscriptionConfirmation envelope with a placeholder signature."""
    document = envelope(
        Type="SubscriptionConfirmation",
        Subject=...,
        UnsubscribeURL=...,
        Message="You have chosen to subscribe to the topic.\nTo confirm, visit the SubscribeURL.",
        Token="2336412f37fb687f5d51e6e2425c464de",
        SubscribeURL="https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=2336",
    )
    document.update(overrides)
    return {name: value for name, value in document.items() if value is not ...}


def decode(document: dict[str, Any], headers: dict[str, str] | None = None) -> SnsMessage:
    return parse_envelope(headers or {}, json.dumps(document).encode())


def signed(key: rsa.RSAPrivateKey, message: SnsMessage) -> SnsMessage:
    algorithm = hashes.SHA1() if message.signature_version == "1" else hashes.SHA256()
    signature = key.sign(string_to_sign(message), padding.PKCS1v15(), algorithm)
    return replace(message, signature=base64.b64encode(signature).decode())


def check(message: SnsMessage, cert_dir: Path, now: datetime = NOW, **options: Any) -> None:
    verify(message, certificates=DirectoryCertificates(cert_dir), now=now, **options)


def test_parse_envelope_reads_every_field() -> None:
    message = decode(envelope())
    assert message.type == "Notification"
    assert message.message == '{"AlarmName":"cpu-high",\n"NewStateValue":"ALARM"}'
    assert message.subject == 'ALARM: "cpu-high" in EU (Ireland)'
    assert message.sent_at == datetime(2026, 11, 17, 13, 50, 42, 16000, tzinfo=UTC)
    assert message.unsubscribe_url == "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe"
    assert message.subscribe_url is None
    assert message.token is None
    assert message.raw["TopicArn"] == TOPIC
    lambda_style = envelope(SigningCertURL=..., UnsubscribeURL=..., SigningCertUrl=CERT_URL)
    assert decode(lambda_style).signing_cert_url == CERT_URL


@pytest.mark.parametrize(
    ("document", "headers", "expected"),
    [
        (envelope(Type="Surprise"), {}, "Type must be one of"),
        (envelope(Type=None), {}, "Type is required"),
        (envelope(MessageId=...), {}, "MessageId is required"),
        (envelope(Message=3), {}, "Message must be a string, not number"),
        (envelope(Message=...), {}, "Message must be a string, not null"),
        (envelope(Subject=["x"]), {}, "Subject must be a string"),
        (envelope(Timestamp="yesterday"), {}, "Timestamp is not an ISO-8601 time"),
        (envelope(SigningCertURL=...), {}, "SigningCertURL is required"),
        (envelope(Signature=""), {}, "Signature is required"),
        (confirmation(Token=...), {}, "Token is required"),
        (confirmation(SubscribeURL=7), {}, "SubscribeURL must be a string"),
        (
            envelope(),
            {"x-amz-sns-message-type": "SubscriptionConfirmation"},
            "disagrees with the body's Type",
        ),
        (envelope(), {"x-amz-sns-rawdelivery": "true"}, "raw message delivery is not supported"),
    ],
)
def test_parse_envelope_rejects(
    document: dict[str, Any], headers: dict[str, str], expected: str
) -> None:
    with pytest.raises(SourceError) as caught:
        decode(document, headers)
    assert expected in caught.value.detail


def test_parse_envelope_rejects_non_objects() -> None:
    for body in (b"[]", b'"x"', b"hello", b"\xff"):
        with pytest.raises(SourceError):
            parse_envelope({}, body)


def test_matching_type_header_is_fine() -> None:
    assert decode(envelope(), {"x-amz-sns-message-type": "Notification"}).type == "Notification"


def test_string_to_sign_notification_with_subject() -> None:
    assert string_to_sign(decode(envelope())) == (
        b"Message\n"
        b'{"AlarmName":"cpu-high",\n"NewStateValue":"ALARM"}\n'
        b"MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n"
        b'Subject\nALARM: "cpu-high" in EU (Ireland)\n'
        b"Timestamp\n2026-11-17T13:50:42.016Z\n"
        b"TopicArn\narn:aws:sns:eu-west-1:123456789012:alarms\n"
        b"Type\nNotification\n"
    )


def test_string_to_sign_notification_without_subject() -> None:
    assert b"Subject" not in string_to_sign(decode(envelope(Subject=...)))
    assert b"Subject" not in string_to_sign(decode(envelope(Subject=None)))


def test_string_to_sign_subscription_confirmation() -> None:
    assert string_to_sign(decode(confirmation())) == (
        b"Message\nYou have chosen to subscribe to the topic.\n"
        b"To confirm, visit the SubscribeURL.\n"
        b"MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n"
        b"SubscribeURL\nhttps://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=2336\n"
        b"Timestamp\n2026-11-17T13:50:42.016Z\n"
        b"Token\n2336412f37fb687f5d51e6e2425c464de\n"
        b"TopicArn\narn:aws:sns:eu-west-1:123456789012:alarms\n"
        b"Type\nSubscriptionConfirmation\n"
    )


def test_string_to_sign_unsubscribe_confirmation_uses_confirmation_keys() -> None:
    text = string_to_sign(decode(confirmation(Type="UnsubscribeConfirmation")))
    assert text.endswith(b"Type\nUnsubscribeConfirmation\n")
    assert b"\nToken\n" in text


@pytest.mark.parametrize(
    "host",
    [f"sns.{region}.amazonaws.com" for region in ("us-east-1", "eu-west-1", "us-gov-west-1")]
    + ["sns.cn-north-1.amazonaws.com.cn", "sns.ap-southeast-2.amazonaws.com"],
)
def test_check_cert_url_accepts_sns_hosts(host: str) -> None:
    check_cert_url(f"https://{host}/SimpleNotificationService-abc.pem")


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.us-east-1.amazonaws.com/cert.pem",
        "https://sns.us-east-1.amazonaws.com.evil.com/cert.pem",
        "https://evil.com/sns.us-east-1.amazonaws.com/cert.pem",
        "https://evil.com/?sns.us-east-1.amazonaws.com",
        "https://sns.us-east-1.amazonaws.com@evil.com/cert.pem",
        "https://user:pw@sns.us-east-1.amazonaws.com/cert.pem",
        "https://sns.us-east-1.amazonaws.com:8443/cert.pem",
        "https://sns.us-east-1.amazonaws.com:443/cert.pem",
        "https://sns.us-east-1.amazonaws.com\\@evil.com/cert.pem",
        "https://sns.us-east-1.amazonaws.co\tm/cert.pem",
        "https://evilsns.us-east-1.amazonaws.com/cert.pem",
        "https://sns.amazonaws.com/cert.pem",
        "https://sns.us-east-1.evil.amazonaws.com/cert.pem",
        "https://SNS.US-EAST-1.AMAZONAWS.COM/cert.pem",
        "ftp://sns.us-east-1.amazonaws.com/cert.pem",
        "//sns.us-east-1.amazonaws.com/cert.pem",
        "",
        "EXAMPLE",
    ],
)
def test_check_cert_url_rejects(url: str) -> None:
    with pytest.raises(VerificationFailed) as caught:
        check_cert_url(url)
    assert caught.value.status == 403


@pytest.mark.parametrize("version", ["1", "2"])
def test_verify_accepts_a_valid_signature(
    key: rsa.RSAPrivateKey, cert_dir: Path, version: str
) -> None:
    check(signed(key, decode(envelope(SignatureVersion=version))), cert_dir)


def test_verify_accepts_subject_absent_and_confirmations(
    key: rsa.RSAPrivateKey, cert_dir: Path
) -> None:
    check(signed(key, decode(envelope(Subject=...))), cert_dir)
    check(signed(key, decode(confirmation(SignatureVersion="2"))), cert_dir)
    check(signed(key, decode(confirmation(Type="UnsubscribeConfirmation"))), cert_dir)


def test_verify_signature_binds_subject_presence(key: rsa.RSAPrivateKey, cert_dir: Path) -> None:
    with_subject = signed(key, decode(envelope(Subject="")))
    with pytest.raises(VerificationFailed, match="does not match"):
        check(replace(with_subject, subject=None), cert_dir)


def rejection(message: SnsMessage, cert_dir: Path, **options: Any) -> str:
    """The detail of the 403 verify() raises."""
    with pytest.raises(VerificationFailed) as caught:
        check(message, cert_dir, **options)
    assert caught.value.status == 403
    return caught.value.detail


@pytest.mark.parametrize("version", ["1", "2"])
def test_verify_rejects_tampering(key: rsa.RSAPrivateKey, cert_dir: Path, version: str) -> None:
    good = signed(key, decode(envelope(SignatureVersion=version)))
    for tampered in (
        replace(good, message=good.message.replace("ALARM", "OK")),
        replace(good, subject="OK: all fine"),
        replace(good, subject=None),
        replace(good, topic_arn="arn:aws:sns:eu-west-1:123456789012:other"),
        replace(good, message_id="another"),
        replace(good, signature_version="2" if version == "1" else "1"),
    ):
        assert "does not match" in rejection(tampered, cert_dir)


def test_verify_rejects_another_key(key: rsa.RSAPrivateKey, cert_dir: Path) -> None:
    message = signed(key, decode(envelope()))
    other = replace(message, signing_cert_url=CERT_URL.replace("-test", "-other"))
    assert "does not match" in rejection(other, cert_dir)


def test_verify_rejects_bad_signature_encoding(cert_dir: Path) -> None:
    assert "base64" in rejection(decode(envelope(Signature="not base64!")), cert_dir)
    assert "does not match" in rejection(decode(envelope(Signature="AAAA")), cert_dir)


def test_verify_rejects_unknown_signature_version(key: rsa.RSAPrivateKey, cert_dir: Path) -> None:
    message = signed(key, decode(envelope()))
    assert "SignatureVersion '3'" in rejection(replace(message, signature_version="3"), cert_dir)


@pytest.mark.parametrize(
    "prefix",
    [
        "https://sns.eu-west-1.amazonaws.com.evil.com",
        "https://evil.com/sns.eu-west-1.amazonaws.com",
        "https://sns.eu-west-1.amazonaws.com@evil.com",
        "http://sns.eu-west-1.amazonaws.com",
    ],
)
def test_verify_checks_the_host_before_fetching(key: rsa.RSAPrivateKey, prefix: str) -> None:
    class Forbidden:
        def pem(self, url: str) -> bytes:
            raise AssertionError(f"fetched {url}")

    message = signed(key, decode(envelope(SigningCertURL=f"{prefix}/{CERT_NAME}")))
    with pytest.raises(VerificationFailed) as caught:
        verify(message, certificates=Forbidden(), now=NOW)
    assert caught.value.status == 403


def test_verify_rejects_stale_and_future_timestamps(key: rsa.RSAPrivateKey, cert_dir: Path) -> None:
    message = signed(key, decode(envelope()))
    check(message, cert_dir, max_age=timedelta(minutes=1))
    check(message, cert_dir, now=NOW - timedelta(minutes=4))
    assert "old" in rejection(message, cert_dir, now=NOW + timedelta(hours=1, seconds=1))
    assert "in the future" in rejection(message, cert_dir, now=NOW - timedelta(minutes=10))


def test_verify_checks_the_topic_allow_list(key: rsa.RSAPrivateKey, cert_dir: Path) -> None:
    message = signed(key, decode(envelope()))
    check(message, cert_dir, topic_arns=[TOPIC, "arn:aws:sns:us-east-1:1:x"])
    assert "not allowed" in rejection(message, cert_dir, topic_arns=["arn:aws:sns:us-east-1:1:x"])


def test_verify_rejects_a_missing_or_broken_certificate(
    key: rsa.RSAPrivateKey, cert_dir: Path
) -> None:
    message = signed(key, decode(envelope()))
    missing = replace(message, signing_cert_url=CERT_URL.replace("-test", "-absent"))
    detail = rejection(missing, cert_dir)
    assert "SimpleNotificationService-absent.pem" in detail
    assert str(cert_dir) in detail
    junk = replace(message, signing_cert_url=CERT_URL.replace("-test", "-junk"))
    assert "not valid PEM" in rejection(junk, cert_dir)


@pytest.mark.parametrize(
    "path", ["", "..", "a/..", ".hidden.pem", "..%2F..%2Fetc%2Fpasswd", "x..pem", "a b.pem"]
)
def test_directory_certificates_reject_odd_file_names(cert_dir: Path, path: str) -> None:
    with pytest.raises(VerificationFailed) as caught:
        DirectoryCertificates(cert_dir).pem(f"https://sns.eu-west-1.amazonaws.com/{path}")
    assert caught.value.status == 403


def test_directory_certificates_use_the_last_path_segment(cert_dir: Path) -> None:
    pem = DirectoryCertificates(cert_dir).pem(
        f"https://sns.eu-west-1.amazonaws.com/a/b/{CERT_NAME}"
    )
    assert pem.startswith(b"-----BEGIN CERTIFICATE-----")


def test_certificates_from(tmp_path: Path) -> None:
    assert isinstance(certificates_from(str(tmp_path)), DirectoryCertificates)
    for value in (None, "", "  "):
        source = certificates_from(value)
        assert isinstance(source, HttpsCertificates)
        assert source.client.timeout.connect == sns.FETCH_TIMEOUT_SECONDS
        assert source.client.follow_redirects is False
        source.close()


def https_source(handler: Any, max_entries: int = 64) -> tuple[HttpsCertificates, list[str]]:
    """HttpsCertificates over a MockTransport that records the URLs it was asked for."""
    seen: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        response: httpx.Response = handler(request)
        return response

    client = httpx.Client(transport=httpx.MockTransport(record), follow_redirects=False)
    return HttpsCertificates(client, max_entries=max_entries), seen


def test_https_certificates_cache_by_url(key: rsa.RSAPrivateKey) -> None:
    pem = _certificate(key)
    source, seen = https_source(lambda request: httpx.Response(200, content=pem), max_entries=2)
    urls = [f"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-{n}.pem" for n in "abc"]
    assert source.pem(urls[0]) == pem
    assert source.pem(urls[0]) == pem
    assert seen == [urls[0]]
    source.pem(urls[1])
    source.pem(urls[2])
    source.pem(urls[0])
    assert seen == [urls[0], urls[1], urls[2], urls[0]]
    assert len(source._cache) == 2


def test_https_certificates_verify_end_to_end(key: rsa.RSAPrivateKey) -> None:
    pem = _certificate(key)
    source, _ = https_source(lambda request: httpx.Response(200, content=pem))
    verify(signed(key, decode(envelope(SignatureVersion="2"))), certificates=source, now=NOW)


def test_https_certificates_refuse_other_hosts_without_fetching() -> None:
    source, seen = https_source(lambda request: httpx.Response(200, content=b"x"))
    with pytest.raises(VerificationFailed):
        source.pem("https://evil.com/SimpleNotificationService-a.pem")
    assert seen == []


def test_https_certificates_map_network_failures_to_unavailable() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    source, _ = https_source(fail)
    with pytest.raises(CertificateUnavailable) as caught:
        source.pem(CERT_URL)
    assert caught.value.status == 503
    assert not source._cache


@pytest.mark.parametrize(
    ("response", "error", "status"),
    [
        (httpx.Response(503), CertificateUnavailable, 503),
        (httpx.Response(404), VerificationFailed, 403),
        (
            httpx.Response(302, headers={"location": "https://evil.com/x.pem"}),
            VerificationFailed,
            403,
        ),
        (httpx.Response(200, content=b"<html>"), VerificationFailed, 403),
    ],
)
def test_https_certificates_map_bad_answers(
    response: httpx.Response, error: type[Exception], status: int
) -> None:
    source, seen = https_source(lambda request: response)
    with pytest.raises(error) as caught:
        source.pem(CERT_URL)
    assert getattr(caught.value, "status", None) == status
    assert seen == [CERT_URL]
    assert not source._cache
