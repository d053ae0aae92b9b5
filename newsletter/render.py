"""Rendering of outbox payloads (pure): mails from Jinja templates (HTML + text), webhook bodies, feed entries."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from config.settings import Settings
from matcher.eligibility import format_eur
from newsletter import links
from newsletter.digest import Digest

TEMPLATES = Path(__file__).with_name("templates")
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)

TEXTS: dict[str, dict[str, Any]] = {
    "de": {
        "subject": "foerdermatch: {n} Hinweise zu Förderprogrammen für Ihr Projekt",
        "confirm_subject": "foerdermatch: Bitte bestätigen Sie Ihr Abonnement",
        "greeting": "Guten Tag,",
        "intro": "zu Ihrem gespeicherten Projektprofil gibt es Neuigkeiten:",
        "kinds": {"new": "Neu", "changed": "Geändert", "deadline_reminder": "Frist naht"},
        "aspects": {"deadlines": "Fristen", "amounts": "Beträge und Förderquote",
                    "eligibility": "Förderbedingungen", "status": "Status"},
        "verdicts": {"eligible": "förderfähig", "unclear": "unklar – bitte prüfen", "ineligible": "nicht förderfähig"},
        "verdict": "Förderfähigkeit", "own": "Eigenanteil bei Ihrem Budget", "unknown_own": "nicht berechenbar",
        "deadline": "Nächste Frist", "days_left": "noch {d} Tage", "no_deadline": "keine Frist bekannt",
        "link": "Zum Programm", "fits": "passt", "fits_not": "passt nicht", "feedback": "Ihre Einschätzung",
        "footer": "Sie erhalten diese Nachricht, weil Sie den foerdermatch-Newsletter abonniert haben.",
        "unsubscribe": "Abmelden", "my_data": "Meine Daten ansehen oder löschen",
        "confirm_intro": "bitte bestätigen Sie Ihr Abonnement des foerdermatch-Newsletters mit diesem Link:",
        "confirm_ignore": "Wenn Sie sich nicht angemeldet haben, ignorieren Sie diese Nachricht; "
                          "ohne Bestätigung erhalten Sie nichts weiter.",
        "confirm_button": "Abonnement bestätigen",
    },
    "en": {
        "subject": "foerdermatch: {n} updates on funding programmes for your project",
        "confirm_subject": "foerdermatch: please confirm your subscription",
        "greeting": "Hello,",
        "intro": "there is news for your saved project profile:",
        "kinds": {"new": "New", "changed": "Changed", "deadline_reminder": "Deadline approaching"},
        "aspects": {"deadlines": "Deadlines", "amounts": "Amounts and funding rate",
                    "eligibility": "Eligibility rules", "status": "Status"},
        "verdicts": {"eligible": "eligible", "unclear": "unclear – please check", "ineligible": "not eligible"},
        "verdict": "Eligibility", "own": "Own contribution for your budget", "unknown_own": "cannot be computed",
        "deadline": "Next deadline", "days_left": "{d} days left", "no_deadline": "no deadline known",
        "link": "Programme page", "fits": "fits", "fits_not": "does not fit", "feedback": "Your view",
        "footer": "You receive this message because you subscribed to the foerdermatch newsletter.",
        "unsubscribe": "Unsubscribe", "my_data": "View or delete my data",
        "confirm_intro": "please confirm your subscription to the foerdermatch newsletter with this link:",
        "confirm_ignore": "If you did not subscribe, ignore this message; without confirmation nothing else is sent.",
        "confirm_button": "Confirm subscription",
    },
}


def texts(language: str) -> dict[str, Any]:
    return TEXTS.get(language, TEXTS["de"])


def _date(iso: str | None) -> str:
    return dt.date.fromisoformat(iso).strftime("%d.%m.%Y") if iso else ""


def _eur(amount: float | None) -> str:
    return format_eur(amount) if amount is not None else ""


_env.filters.update(date_de=_date, eur=_eur)


def item_view(settings: Settings, token: str, item: dict[str, Any]) -> dict[str, Any]:
    """An item with the links a reader needs (feedback links carry the subscription token)."""
    return {**item, "fits_url": links.feedback_url(settings, token, item["programme_id"], "passt"),
            "fits_not_url": links.feedback_url(settings, token, item["programme_id"], "passt_nicht")}


def mail_headers(settings: Settings, token: str) -> dict[str, str]:
    return {"List-Unsubscribe": f"<{links.unsubscribe_url(settings, token)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def digest_mail(settings: Settings, *, to: str, token: str, language: str, digest: Digest) -> dict[str, Any]:
    t = texts(language)
    ctx = {"t": t, "lang": language, "items": [item_view(settings, token, i.as_dict()) for i in digest.items],
           "unsubscribe_url": links.unsubscribe_url(settings, token), "data_url": links.data_url(settings, token)}
    return {"channel": "email", "to": to, "subject": t["subject"].format(n=len(digest.items)),
            "text": _env.get_template("digest.txt").render(ctx), "html": _env.get_template("digest.html").render(ctx),
            "headers": mail_headers(settings, token)}


def confirm_mail(settings: Settings, *, to: str, token: str, language: str) -> dict[str, Any]:
    t = texts(language)
    ctx = {"t": t, "lang": language, "confirm_url": links.confirm_url(settings, token),
           "unsubscribe_url": links.unsubscribe_url(settings, token), "data_url": links.data_url(settings, token)}
    return {"channel": "email", "to": to, "subject": t["confirm_subject"],
            "text": _env.get_template("confirm.txt").render(ctx), "html": _env.get_template("confirm.html").render(ctx),
            "headers": mail_headers(settings, token)}


def digest_webhook(settings: Settings, *, url: str, token: str, subscription_id: int, digest: Digest,
                   created: dt.datetime) -> dict[str, Any]:
    body = {"type": "digest", "subscription_id": subscription_id, "created_at": created.isoformat(),
            "items": [item_view(settings, token, i.as_dict()) for i in digest.items],
            "unsubscribe_url": links.unsubscribe_url(settings, token)}
    return {"channel": "webhook", "url": url, "body": body}


def confirm_webhook(settings: Settings, *, url: str, token: str, subscription_id: int) -> dict[str, Any]:
    body = {"type": "subscription.confirm", "subscription_id": subscription_id,
            "confirm_url": links.confirm_url(settings, token)}
    return {"channel": "webhook", "url": url, "body": body}


def feed_entries(settings: Settings, *, token: str, digest: Digest, created: dt.datetime) -> dict[str, Any]:
    """An Atom subscription's digest: stored as published entries, the feed renders them (feeds.py)."""
    return {"channel": "atom", "created_at": created.isoformat(),
            "items": [item_view(settings, token, i.as_dict()) for i in digest.items]}
