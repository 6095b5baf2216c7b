"""What a contact method may be: address per type, webhook secrets, delays, egress, masking."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from warroom.channels.egress_types import EgressRefused
from warroom.errors import ValidationFailed
from warroom.notifications.egress import EgressGuard
from warroom.users.service import EMAIL

TYPES = ("email", "slack", "webhook", "apprise")
MASK = "****"
MAX_DELAY_MINUTES = 1440
# Member (U/W), channel (C), private channel (G) or direct message (D) ids, as Slack sends them.
_SLACK_MEMBER = re.compile(r"^[UWCGD][A-Z0-9]{6,20}$")
_SLACK_CHANNEL = re.compile(r"^#[a-z0-9][a-z0-9._-]{0,79}$")
_APPRISE = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$", re.IGNORECASE)
_MAX_ADDRESS = 1000
_MAX_LABEL = 200


@dataclass(frozen=True)
class ContactSpec:
    """A contact method as given to ``replace_contact_methods``; secret None keeps, "" clears."""

    type: str
    address: str
    label: str | None = None
    secret: str | None = None
    delay_minutes: int = 0


def _is_web_url(address: str, schemes: tuple[str, ...]) -> bool:
    """Whether ``address`` is an absolute URL with one of ``schemes`` and a host."""
    if any(c.isspace() for c in address):
        return False
    try:
        parts = urlsplit(address)
        return parts.scheme.lower() in schemes and bool(parts.hostname)
    except ValueError:
        return False


def _address_problem(kind: str, address: str) -> str | None:
    """Why ``address`` is not usable for a contact method of ``kind``, or None."""
    if kind == "email" and not EMAIL.match(address):
        return f"{address!r} is not an email address"
    if kind == "slack" and not (
        _SLACK_MEMBER.match(address)
        or _SLACK_CHANNEL.match(address)
        or _is_web_url(address, ("https",))
    ):
        return (
            f"{address!r} is not a Slack member id (like U0123ABCD), "
            "a channel (#name) or an incoming-webhook https URL"
        )
    if kind == "webhook" and not _is_web_url(address, ("http", "https")):
        return f"{address!r} is not an http(s) URL"
    if kind == "apprise" and not _APPRISE.match(address):
        return f"{address!r} is not an Apprise URL (scheme://...)"
    return None


def check_contact(kind: str, address: str, label: str | None) -> ContactSpec:
    """The cleaned contact method, or ValidationFailed naming type, address or label."""
    kind = kind.strip().lower()
    if kind not in TYPES:
        raise ValidationFailed.for_field(
            "type", f"unknown contact method type {kind!r}; use one of {', '.join(TYPES)}"
        )
    address = address.strip()
    if not address:
        raise ValidationFailed.for_field("address", "must not be empty")
    if len(address) > _MAX_ADDRESS:
        raise ValidationFailed.for_field("address", f"must be at most {_MAX_ADDRESS} characters")
    problem = _address_problem(kind, address)
    if problem:
        raise ValidationFailed.for_field("address", _masked_in(problem, kind, address))
    label = (label or "").strip() or None
    if label is not None and len(label) > _MAX_LABEL:
        raise ValidationFailed.for_field("label", f"must be at most {_MAX_LABEL} characters")
    return ContactSpec(kind, address, label)


def _masked_in(text: str, kind: str, address: str) -> str:
    """``text`` with ``address`` shown masked, so an error never echoes a credential."""
    return text.replace(repr(address), repr(mask_address(kind, address)))


def check_secret(kind: str, secret: str | None) -> str | None:
    """The normalised webhook secret(s), None for none; ValidationFailed names ``secret``."""
    words = (secret or "").split()
    if not words:
        return None
    if kind != "webhook":
        raise ValidationFailed.for_field("secret", "only webhook contact methods take a secret")
    if len(words) > 2:
        raise ValidationFailed.for_field(
            "secret", "give one secret, or two separated by a space while rotating"
        )
    for word in words:
        body = word.removeprefix("whsec_")
        try:
            valid = word.startswith("whsec_") and bool(base64.b64decode(body, validate=True))
        except (binascii.Error, ValueError):
            valid = False
        if not valid:
            raise ValidationFailed.for_field(
                "secret", "must be a Standard Webhooks secret, whsec_ followed by base64"
            )
    return " ".join(words)


def check_delay(delay_minutes: int) -> int:
    """``delay_minutes`` if it is 0 to 1440, else ValidationFailed naming it."""
    if not 0 <= delay_minutes <= MAX_DELAY_MINUTES:
        raise ValidationFailed.for_field(
            "delay_minutes", f"must be 0 (at once) to {MAX_DELAY_MINUTES} minutes"
        )
    return delay_minutes


def check_reachable(guard: EgressGuard | None, kind: str, address: str) -> None:
    """Refuse (422 on ``address``) a URL the egress guard would refuse at send time."""
    if guard is None:
        return
    try:
        if kind == "webhook" or (kind == "slack" and "://" in address):
            guard.check(address)
        elif kind == "apprise":
            # Imported here: Apprise and its plugins are big, and only these addresses need them.
            from warroom.channels.apprise import reachable_targets

            targets = reachable_targets(address)
            if targets is None:
                raise ValidationFailed.for_field(
                    "address", "not an Apprise URL apprise understands"
                )
            for target in targets:
                guard.check_any_scheme(target)
    except EgressRefused as exc:
        hint = "" if "no such host" in exc.reason else "; WARROOM_EGRESS_ALLOW can allow it"
        raise ValidationFailed.for_field("address", f"{exc.reason}{hint}") from None


def _mask_url(address: str, *, last_segment: bool) -> str:
    try:
        parts = urlsplit(address)
        host = parts.hostname
    except ValueError:
        return MASK
    if not host:
        return MASK
    netloc = parts.netloc.rpartition("@")[2]
    if "@" in parts.netloc:
        netloc = f"{MASK}@{netloc}"
    path = parts.path
    if last_segment and path.strip("/"):
        head, _, _ = path.rstrip("/").rpartition("/")
        path = f"{head}/{MASK}"
    query = "&".join(
        f"{quote(name, safe='')}={MASK}"
        for name, _ in parse_qsl(parts.query, keep_blank_values=True)
    )
    fragment = MASK if parts.fragment else ""
    return urlunsplit((parts.scheme, netloc, path, query, fragment))


def mask_address(kind: str, address: str) -> str:
    """``address`` as shown and audited, with the credentials it carries replaced by ``****``."""
    # Slack hook URLs keep all but the token segment; Apprise puts tokens anywhere after the
    # scheme, so all of that goes; webhook URLs lose userinfo and query values.
    if kind == "apprise":
        scheme, sep, _ = address.partition("://")
        return f"{scheme}://{MASK}" if sep else MASK
    if kind == "slack" and "://" in address:
        return _mask_url(address, last_segment=True)
    if kind == "webhook":
        return _mask_url(address, last_segment=False)
    return address


def is_masked(address: str) -> bool:
    """Whether ``address`` is (or contains) a mask rather than a real credential."""
    return MASK in address
