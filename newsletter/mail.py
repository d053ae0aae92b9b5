"""One mail over SMTP (smtplib): TLS or STARTTLS, login, and a hook just before the end of DATA.

The DATA phase is driven by hand so the caller can record "transmitting" right before the terminating dot,
and so a failure while sending (the server cannot have the message) is told apart from a lost reply (unknown).
"""

from __future__ import annotations

import datetime as dt
import email.policy
import re
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any

from config.settings import Settings
from newsletter.outbox import Outcome


def build_message(settings: Settings, payload: dict[str, Any], message_id: str, now: dt.datetime) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = payload["to"]
    msg["Subject"] = payload["subject"]
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    for name, value in payload.get("headers", {}).items():
        msg[name] = value
    msg.set_content(payload["text"])
    msg.add_alternative(payload["html"], subtype="html")
    return msg


def _connect(settings: Settings) -> smtplib.SMTP:
    timeout = settings.smtp_timeout_s
    if settings.smtp_tls:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=timeout,
                                              context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    smtp.ehlo()
    if settings.smtp_starttls and not settings.smtp_tls:
        smtp.starttls(context=ssl.create_default_context())
        smtp.ehlo()
    if settings.smtp_user:
        smtp.login(settings.smtp_user, settings.smtp_password or "")
    return smtp


def classify(code: int, text: bytes | str, *, permanent_5xx: bool = True) -> Outcome:
    """An SMTP reply that is not success: 4xx is temporary, 5xx permanent (a hard bounce)."""
    reply = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    kind = "permanent" if code >= 500 and permanent_5xx else "temporary"
    return Outcome(kind, f"SMTP {code}: {reply}"[:500])


def _data_bytes(msg: EmailMessage) -> bytes:
    data = msg.as_bytes(policy=email.policy.SMTP)
    data = re.sub(rb"(?m)^\.", b"..", data)  # dot-stuffing (RFC 5321 4.5.2)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def send_mail(settings: Settings, payload: dict[str, Any], message_id: str, *,
              on_transmit: Callable[[], None], now: dt.datetime) -> Outcome:
    """Deliver one rendered mail to the configured SMTP server and say how it went."""
    msg = build_message(settings, payload, message_id, now)
    sender = parseaddr(settings.mail_from)[1]
    try:
        smtp = _connect(settings)
    except (OSError, smtplib.SMTPException) as e:  # includes refused logins: our problem, not the subscriber's
        return Outcome("temporary", f"SMTP-Verbindung: {type(e).__name__}: {e}"[:500])
    try:
        return _transaction(smtp, sender, payload["to"], msg, on_transmit)
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


def _transaction(smtp: smtplib.SMTP, sender: str, to: str, msg: EmailMessage,
                 on_transmit: Callable[[], None]) -> Outcome:
    try:
        code, text = smtp.mail(sender)
        if code != 250:
            return classify(code, text, permanent_5xx=False)  # our sender address was refused
        code, text = smtp.rcpt(to)
        if code not in (250, 251):
            return classify(code, text)
        smtp.putcmd("data")
        code, text = smtp.getreply()
        if code != 354:
            return classify(code, text)
        data = _data_bytes(msg)
    except (OSError, smtplib.SMTPException) as e:
        return Outcome("temporary", f"SMTP vor DATA: {type(e).__name__}: {e}"[:500])
    on_transmit()
    try:
        smtp.send(data)
    except (OSError, smtplib.SMTPException) as e:  # the terminating dot did not go out: not delivered
        return Outcome("temporary", f"SMTP beim Senden: {type(e).__name__}: {e}"[:500])
    try:
        code, text = smtp.getreply()
    except (OSError, smtplib.SMTPException) as e:
        return Outcome("unknown", f"SMTP-Antwort nach DATA fehlt: {type(e).__name__}: {e}"[:500])
    return Outcome("sent") if code == 250 else classify(code, text)
