"""The subscriber's links: signed confirmation, unsubscribe, feedback, feeds and "my data" (token URLs)."""

from __future__ import annotations

import secrets
from urllib.parse import quote, urlencode

from itsdangerous import BadSignature, URLSafeTimedSerializer

from config.settings import Settings

CONFIRM_SALT = "foerdermatch-newsletter-confirm"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=CONFIRM_SALT)


def sign_confirmation(settings: Settings, token: str) -> str:
    return _serializer(settings).dumps(token)


def read_confirmation(settings: Settings, signed: str) -> str | None:
    """The subscription token in a confirmation link; None if forged, damaged or expired."""
    try:
        token = _serializer(settings).loads(signed, max_age=settings.newsletter_confirm_max_age_s)
    except BadSignature:  # includes SignatureExpired
        return None
    return token if isinstance(token, str) else None


def _base(settings: Settings) -> str:
    return settings.public_base_url.rstrip("/")


def confirm_url(settings: Settings, token: str) -> str:
    return f"{_base(settings)}/newsletter/confirm/{sign_confirmation(settings, token)}"


def unsubscribe_url(settings: Settings, token: str) -> str:
    return f"{_base(settings)}/newsletter/unsubscribe/{token}"


def data_url(settings: Settings, token: str) -> str:
    return f"{_base(settings)}/newsletter/data/{token}"


def feedback_url(settings: Settings, token: str, programme_id: str, value: str) -> str:
    return f"{_base(settings)}/newsletter/feedback/{token}/{quote(programme_id)}?{urlencode({'value': value})}"


def feed_url(settings: Settings, token: str, kind: str) -> str:
    return f"{_base(settings)}/feeds/{token}.{'atom' if kind == 'atom' else 'ics'}"
