"""Amazon SNS HTTP/S envelopes and their RSA signatures (specs/alert-formats.md section 2.1).

Failure classes: a malformed envelope is a ``SourceError`` (400); a signature, certificate host,
timestamp or topic that does not check out is ``VerificationFailed`` with status 403; a signing
certificate that cannot be fetched right now is ``CertificateUnavailable`` (503), so the web layer
answers 503 and SNS retries the delivery later instead of dropping it.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

import httpx

from warroom.pipeline.event import SourceError, VerificationFailed

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from warroom.sources.common import as_object, get_str, header, load_json, parse_time, wrong_type

NOTIFICATION = "Notification"
SUBSCRIPTION_CONFIRMATION = "SubscriptionConfirmation"
UNSUBSCRIBE_CONFIRMATION = "UnsubscribeConfirmation"
MESSAGE_TYPES = (NOTIFICATION, SUBSCRIPTION_CONFIRMATION, UNSUBSCRIBE_CONFIRMATION)

FETCH_TIMEOUT_SECONDS = 5.0
CACHE_ENTRIES = 64
MAX_PEM_BYTES = 64 * 1024
MAX_CLOCK_SKEW = timedelta(minutes=5)

_HASHES = {"1": "SHA1", "2": "SHA256"}
_CERT_HOST = re.compile(r"sns\.[a-z]{2}(?:-[a-z]+)+-[0-9]+\.amazonaws\.com(?:\.cn)?")
_PRINTABLE_URL = re.compile(r"[!-\[\]-~]+")  # printable ASCII without spaces or backslashes
_SAFE_FILE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")


class CertificateUnavailable(Exception):
    """The signing certificate could not be fetched right now (HTTP 503, so SNS retries)."""

    status = 503

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True, slots=True)
class SnsMessage:
    """One decoded SNS envelope; ``timestamp`` is kept verbatim because it is signed."""

    type: str
    message_id: str
    topic_arn: str
    subject: str | None
    message: str
    timestamp: str
    sent_at: datetime
    signature_version: str
    signature: str
    signing_cert_url: str
    subscribe_url: str | None
    token: str | None
    unsubscribe_url: str | None
    raw: dict[str, Any]


def is_envelope(document: object) -> bool:
    """Whether a decoded body looks like an SNS envelope (has ``Type`` and ``TopicArn``)."""
    return isinstance(document, dict) and "Type" in document and "TopicArn" in document


def reject_raw_delivery(headers: Mapping[str, str]) -> None:
    """SourceError when SNS raw message delivery is on: such bodies carry no signature."""
    if (header(headers, "x-amz-sns-rawdelivery") or "").strip().lower() == "true":
        raise SourceError(
            "SNS raw message delivery is not supported: raw bodies carry no signature, so they "
            "cannot be authenticated; turn it off on the subscription (set the "
            "RawMessageDelivery attribute to false)"
        )


def parse_envelope(headers: Mapping[str, str], body: bytes) -> SnsMessage:
    """The SNS envelope in ``body`` (any content type); malformed envelopes are a SourceError."""
    reject_raw_delivery(headers)
    return envelope_from(headers, load_json(body))


def envelope_from(headers: Mapping[str, str], document: Any) -> SnsMessage:
    """The SNS envelope in an already decoded body."""
    envelope = as_object(document, "the SNS envelope")
    kind = _required(envelope, "Type")
    if kind not in MESSAGE_TYPES:
        raise SourceError(f"Type must be one of {', '.join(MESSAGE_TYPES)}, not {kind!r}")
    header_kind = header(headers, "x-amz-sns-message-type")
    if header_kind is not None and header_kind.strip() != kind:
        raise SourceError(
            f"the x-amz-sns-message-type header ({header_kind.strip()!r}) disagrees with "
            f"the body's Type ({kind!r})"
        )
    confirmation = kind != NOTIFICATION
    timestamp = _required(envelope, "Timestamp")
    sent_at = parse_time(timestamp, "Timestamp")
    if sent_at is None:
        raise SourceError("Timestamp is required")
    message = envelope.get("Message")
    if not isinstance(message, str):
        raise wrong_type("Message", "a string", message)
    return SnsMessage(
        type=kind,
        message_id=_required(envelope, "MessageId"),
        topic_arn=_required(envelope, "TopicArn"),
        subject=None if confirmation else get_str(envelope, "Subject"),
        message=message,
        timestamp=timestamp,
        sent_at=sent_at,
        signature_version=_required(envelope, "SignatureVersion"),
        signature=_required(envelope, "Signature"),
        signing_cert_url=_required(envelope, "SigningCertURL", "SigningCertUrl"),
        subscribe_url=_required(envelope, "SubscribeURL") if confirmation else None,
        token=_required(envelope, "Token") if confirmation else None,
        unsubscribe_url=_optional(envelope, "UnsubscribeURL", "UnsubscribeUrl"),
        raw=envelope,
    )


def _optional(envelope: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = get_str(envelope, name)
        if value is not None:
            return value
    return None


def _required(envelope: Mapping[str, Any], *names: str) -> str:
    value = _optional(envelope, *names)
    if value is None or not value.strip():
        raise SourceError(f"{names[0]} is required in an SNS envelope")
    return value


def string_to_sign(message: SnsMessage) -> bytes:
    """The canonical ``Key\\nValue\\n`` string SNS signs, in its fixed key order."""
    if message.type == NOTIFICATION:
        pairs = [("Message", message.message), ("MessageId", message.message_id)]
        if message.subject is not None:
            pairs.append(("Subject", message.subject))
    else:
        pairs = [
            ("Message", message.message),
            ("MessageId", message.message_id),
            ("SubscribeURL", message.subscribe_url or ""),
        ]
    pairs.append(("Timestamp", message.timestamp))
    if message.type != NOTIFICATION:
        pairs.append(("Token", message.token or ""))
    pairs += [("TopicArn", message.topic_arn), ("Type", message.type)]
    return "".join(f"{key}\n{value}\n" for key, value in pairs).encode("utf-8")


def check_cert_url(url: str) -> None:
    """VerificationFailed (403) unless ``url`` is https on ``sns.<region>.amazonaws.com[.cn]``."""
    if not _PRINTABLE_URL.fullmatch(url):
        raise VerificationFailed(f"SigningCertURL {url!r} is not a plain URL", status=403)
    parts = urlsplit(url)
    # netloc must be the bare host: userinfo ("@") and ports (":") fail the full match.
    if parts.scheme != "https" or not _CERT_HOST.fullmatch(parts.netloc):
        raise VerificationFailed(
            f"SigningCertURL {url!r} is not an https URL on sns.<region>.amazonaws.com",
            status=403,
        )


class CertificateSource(Protocol):
    """Where SNS signing certificates (PEM) come from."""

    def pem(self, url: str) -> bytes:
        """The PEM certificate published at ``url``."""
        ...


class DirectoryCertificates:
    """Certificates an operator placed in a directory, found by the URL's file name."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def pem(self, url: str) -> bytes:
        """The PEM file named like the URL's last path segment."""
        name = urlsplit(url).path.rsplit("/", 1)[-1]
        if not _SAFE_FILE_NAME.fullmatch(name) or ".." in name:
            raise VerificationFailed(
                f"SigningCertURL {url!r} does not end in a plain certificate file name", status=403
            )
        path = self.directory / name
        try:
            return path.read_bytes()
        except OSError:
            raise VerificationFailed(
                f"no SNS signing certificate {name} in {self.directory} (WARROOM_SNS_CERT_DIR); "
                f"download {url} into that directory",
                status=403,
            ) from None


class HttpsCertificates:
    """Certificates fetched over HTTPS (5 s timeout, no redirects), cached by URL in memory."""

    def __init__(
        self, client: httpx.Client | None = None, max_entries: int = CACHE_ENTRIES
    ) -> None:
        self.client = client or httpx.Client(timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=False)
        self.max_entries = max_entries
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def pem(self, url: str) -> bytes:
        """The cached PEM for ``url``, fetching it on a miss."""
        check_cert_url(url)
        with self._lock:
            if url in self._cache:
                self._cache.move_to_end(url)
                return self._cache[url]
        pem = self._fetch(url)
        with self._lock:
            self._cache[url] = pem
            while len(self._cache) > self.max_entries:
                self._cache.popitem(last=False)
        return pem

    def _fetch(self, url: str) -> bytes:
        try:
            response = self.client.get(url)
        except httpx.HTTPError as exc:
            raise CertificateUnavailable(f"fetching {url} failed: {exc!r}") from None
        if response.status_code >= 500:
            raise CertificateUnavailable(f"fetching {url} gave HTTP {response.status_code}")
        if response.status_code != 200:
            raise VerificationFailed(f"fetching {url} gave HTTP {response.status_code}", status=403)
        if len(response.content) > MAX_PEM_BYTES or b"-----BEGIN" not in response.content:
            raise VerificationFailed(f"{url} did not return a PEM certificate", status=403)
        return response.content

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()


def certificates_from(cert_dir: str | None) -> CertificateSource:
    """DirectoryCertificates for a configured WARROOM_SNS_CERT_DIR, else HttpsCertificates."""
    if cert_dir and cert_dir.strip():
        return DirectoryCertificates(cert_dir)
    return HttpsCertificates()


def verify(
    message: SnsMessage,
    *,
    certificates: CertificateSource,
    now: datetime,
    topic_arns: Sequence[str] = (),
    max_age: timedelta = timedelta(hours=1),
) -> None:
    """VerificationFailed (403) unless SNS signed the envelope, recently, on an allowed topic."""
    algorithm = _HASHES.get(message.signature_version)
    if algorithm is None:
        raise VerificationFailed(
            f"unsupported SignatureVersion {message.signature_version!r} (expected 1 or 2)",
            status=403,
        )
    if topic_arns and message.topic_arn not in topic_arns:
        raise VerificationFailed(
            f"topic {message.topic_arn} is not allowed for this integration", status=403
        )
    age = now - message.sent_at
    if age > max_age:
        raise VerificationFailed(
            f"the message Timestamp is {age} old (limit {max_age})", status=403
        )
    if -age > MAX_CLOCK_SKEW:
        raise VerificationFailed(f"the message Timestamp is {-age} in the future", status=403)
    check_cert_url(message.signing_cert_url)
    public_key = _public_key(certificates.pem(message.signing_cert_url), message.signing_cert_url)
    try:
        signature = base64.b64decode(message.signature, validate=True)
    except (binascii.Error, ValueError):
        raise VerificationFailed("Signature is not valid base64", status=403) from None
    # Imported here: cryptography costs memory that only SNS integrations need.
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    digest = getattr(hashes, algorithm)()
    try:
        public_key.verify(signature, string_to_sign(message), padding.PKCS1v15(), digest)
    except InvalidSignature:
        raise VerificationFailed(
            "the SNS signature does not match the message", status=403
        ) from None


def _public_key(pem: bytes, url: str) -> RSAPublicKey:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        key = x509.load_pem_x509_certificate(pem).public_key()
    except ValueError:
        raise VerificationFailed(
            f"the certificate from {url} is not valid PEM", status=403
        ) from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise VerificationFailed(f"the certificate from {url} has no RSA key", status=403)
    return key
