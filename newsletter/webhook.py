"""Webhook delivery: target checks (no private networks unless allow-listed), HMAC-SHA256 signature, one POST."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from config.settings import Settings
from newsletter.outbox import Outcome

SIGNATURE_HEADER = "X-Foerdermatch-Signature"
DELIVERY_HEADER = "X-Foerdermatch-Delivery"
EVENT_HEADER = "X-Foerdermatch-Event"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    return header is not None and hmac.compare_digest(sign(secret, body), header)


def _public(ip: str) -> bool:
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    return addr.is_global and not addr.is_multicast


def target_problem(settings: Settings, url: str) -> str | None:
    """Why a webhook URL is refused (German, one sentence), or None if it may be called."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Die Webhook-Adresse muss eine http(s)-URL mit Hostnamen sein."
    if parts.username or parts.password:
        return "Die Webhook-Adresse darf keine Zugangsdaten enthalten."
    host = parts.hostname.lower()
    if host in {h.lower() for h in settings.webhook_allow_hosts}:
        return None
    try:
        infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80),
                                   proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return f"Der Host {host} ist nicht auflösbar."
    if not infos or not all(_public(str(info[4][0])) for info in infos):
        return f"Der Host {host} liegt in einem privaten oder lokalen Netz; solche Ziele sind nicht erlaubt."
    return None


def body_bytes(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload["body"], ensure_ascii=False, sort_keys=True).encode()


def post(settings: Settings, payload: dict[str, Any], delivery_id: str, secret: str | None, *,
         on_transmit: Callable[[], None]) -> Outcome:
    """POST one signed JSON body. 2xx sent; 408/429/5xx and network errors temporary; other answers permanent."""
    url = payload["url"]
    problem = target_problem(settings, url)  # again at send time: DNS may have changed since subscribing
    if problem:
        return Outcome("permanent", problem)
    if not secret:
        return Outcome("permanent", "Kein Signaturschlüssel für diesen Webhook.")
    body = body_bytes(payload)
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": settings.user_agent,
               SIGNATURE_HEADER: sign(secret, body), DELIVERY_HEADER: delivery_id,
               EVENT_HEADER: str(payload["body"].get("type", ""))}
    on_transmit()
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=settings.webhook_timeout_s,
                              follow_redirects=False)
    except httpx.HTTPError as e:
        return Outcome("temporary", f"Webhook: {type(e).__name__}: {e}"[:500])
    code = response.status_code
    if 200 <= code < 300:
        return Outcome("sent")
    kind = "temporary" if code in (408, 429) or code >= 500 else "permanent"
    return Outcome(kind, f"Webhook HTTP {code}: {response.text[:200]}")
