"""Newsletter: subscribe (any channel), confirm, unsubscribe (page and one-click), feedback, feeds, "my data"."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, BackgroundTasks, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from api.deps import EngineDep, RuntimeDep, SessionDep, SettingsDep
from api.routes.desk import templates
from catalog.models import utcnow
from newsletter import feeds, links
from newsletter import subscribe as subs
from newsletter.deliver import deliver_pending
from newsletter.models import Subscription

router = APIRouter(tags=["newsletter"])
Feedback = Literal["passt", "passt_nicht"]
CHANNEL_DE = {"email": "E-Mail", "webhook": "Webhook", "atom": "Atom-Feed", "ical": "Kalender (iCal)"}
STATUS_NL_DE = {"pending_confirmation": "wartet auf Bestätigung", "active": "aktiv", "unsubscribed": "abgemeldet",
                "disabled": "wegen Zustellfehlern pausiert"}
FREQUENCY_DE = {"after_crawl": "nach jeder Aktualisierung", "daily": "täglich", "weekly": "wöchentlich"}
templates.env.globals.update(CHANNEL_DE=CHANNEL_DE, STATUS_NL_DE=STATUS_NL_DE, FREQUENCY_DE=FREQUENCY_DE)


def _page(request: Request, title: str, message: str, status_code: int = 200, **extra: Any) -> HTMLResponse:
    context = {"title": title, "message": message, "action": None, "error": status_code >= 400, **extra}
    return templates.TemplateResponse(request, "newsletter_message.html", context, status_code)


def _known(s: SessionDep, token: str) -> Subscription:
    sub = subs.by_token(s, token)
    if sub is None:
        raise HTTPException(404, detail="Dieses Abonnement gibt es nicht (mehr).")
    return sub


@router.post("/api/v1/subscriptions", status_code=201)
def subscribe(data: subs.SubscriptionIn, s: SessionDep, settings: SettingsDep, engine: EngineDep,
              background: BackgroundTasks) -> dict[str, Any]:
    """E-mail and webhook subscriptions start after the link sent to them is opened; feeds start at once."""
    try:
        sub, msg = subs.create(s, settings, data, now=utcnow())
    except subs.SubscriptionError as e:
        s.rollback()
        raise HTTPException(e.status, detail=[{"loc": ["body", e.field], "msg": e.message,
                                               "type": "value_error"}]) from None
    s.commit()
    if msg is not None:  # send the confirmation now; the worker's next run catches it if this fails
        background.add_task(deliver_pending, engine, settings, only=msg.id, wait_for_rate=False)
    out: dict[str, Any] = {"channel": sub.channel, "status": sub.status}
    if sub.channel == "email":  # the token only travels by mail, so only the mailbox owner controls it
        out["message"] = "Bitte bestätigen Sie das Abonnement über den Link in der E-Mail, die wir gerade senden."
        return out
    out.update(token=sub.token, data_url=links.data_url(settings, sub.token))
    if sub.channel == "webhook":
        out.update(hmac_secret=sub.hmac_secret, message="Wir senden eine signierte Bestätigungsanfrage an den "
                                                        "Webhook; öffnen Sie den enthaltenen confirm_url.")
    else:
        out["feed_url"] = links.feed_url(settings, sub.token, sub.channel)
    return out


@router.get("/newsletter/confirm/{signed}", response_class=HTMLResponse, include_in_schema=False)
def confirm(signed: str, request: Request, s: SessionDep, settings: SettingsDep) -> HTMLResponse:
    sub = subs.confirm(s, settings, signed, now=utcnow())
    if sub is None:
        return _page(request, "Link ungültig", "Dieser Bestätigungslink ist ungültig oder abgelaufen. Bitte melden "
                                               "Sie sich erneut an.", 400)
    s.commit()
    if sub.status != "active":
        return _page(request, "Nicht aktiv", "Dieses Abonnement ist abgemeldet oder pausiert.", 409)
    return _page(request, "Abonnement bestätigt", "Vielen Dank! Ab jetzt erhalten Sie neue und geänderte "
                 "Förderprogramme zu Ihrem Projekt.", data_url=links.data_url(settings, sub.token))


@router.get("/newsletter/unsubscribe/{token}", response_class=HTMLResponse, include_in_schema=False)
def unsubscribe_page(token: str, request: Request, s: SessionDep) -> HTMLResponse:
    sub = _known(s, token)
    if sub.status == "unsubscribed":
        return _page(request, "Abgemeldet", "Sie sind bereits abgemeldet.")
    return _page(request, "Newsletter abbestellen", "Möchten Sie den foerdermatch-Newsletter abbestellen?",
                 action=f"/newsletter/unsubscribe/{token}", button="Jetzt abmelden",
                 fields={"List-Unsubscribe": "One-Click"})


@router.post("/newsletter/unsubscribe/{token}", response_class=HTMLResponse, include_in_schema=False)
def unsubscribe(token: str, request: Request, s: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """The form's button and RFC 8058 one-click (a POST with List-Unsubscribe=One-Click) land here."""
    _known(s, token)
    subs.unsubscribe(s, token)
    s.commit()
    return _page(request, "Abgemeldet", "Sie erhalten keine Nachrichten mehr. Ihre Daten können Sie jederzeit "
                 "löschen.", data_url=links.data_url(settings, token))


@router.get("/newsletter/feedback/{token}/{programme_id}", response_class=HTMLResponse, include_in_schema=False)
def feedback_page(token: str, programme_id: str, value: Feedback, request: Request, s: SessionDep) -> HTMLResponse:
    """A page with one button: link scanners in mail systems open links, but they do not press buttons."""
    _known(s, token)
    label = "passt" if value == "passt" else "passt nicht"
    return _page(request, "Rückmeldung", f"Ihre Einschätzung zu „{programme_id}“: {label}. "
                 + ("Wir zeigen Ihnen dieses Programm dann nicht mehr." if value == "passt_nicht" else ""),
                 action=f"/newsletter/feedback/{token}/{programme_id}", button="Rückmeldung senden",
                 fields={"value": value})


@router.post("/newsletter/feedback/{token}/{programme_id}", response_class=HTMLResponse, include_in_schema=False)
async def feedback(token: str, programme_id: str, request: Request, s: SessionDep) -> HTMLResponse:
    value = (await request.form()).get("value") or request.query_params.get("value")
    if value not in ("passt", "passt_nicht"):
        raise HTTPException(422, detail="Die Rückmeldung muss „passt“ oder „passt_nicht“ sein.")
    if not subs.record_feedback(s, token, programme_id, str(value), now=utcnow()):
        raise HTTPException(404, detail="Abonnement oder Programm nicht gefunden.")
    s.commit()
    return _page(request, "Danke", "Ihre Rückmeldung ist gespeichert; die nächsten Hinweise berücksichtigen sie.")


@router.get("/feeds/{token}.atom", include_in_schema=False)
def atom(token: str, s: SessionDep, settings: SettingsDep) -> Response:
    sub = _known(s, token)
    if sub.channel != "atom" or sub.status != "active":
        raise HTTPException(404, detail="Für dieses Abonnement gibt es keinen aktiven Atom-Feed.")
    return Response(feeds.atom_for(s, settings, sub), media_type="application/atom+xml; charset=utf-8")


@router.get("/feeds/{token}.ics", include_in_schema=False)
async def ical(token: str, s: SessionDep, settings: SettingsDep, runtime: RuntimeDep) -> Response:
    sub = _known(s, token)
    if sub.status != "active":
        raise HTTPException(404, detail="Dieses Abonnement ist nicht aktiv.")
    body = await run_in_threadpool(feeds.ical_for, s, runtime, settings, sub, now=utcnow())
    return Response(body, media_type="text/calendar; charset=utf-8")


@router.get("/api/v1/subscriptions/{token}")
def my_data(token: str, s: SessionDep) -> dict[str, Any]:
    """Everything held about the subscriber the token belongs to."""
    return subs.export(s, _known(s, token))


@router.delete("/api/v1/subscriptions/{token}", status_code=204)
def delete_my_data(token: str, s: SessionDep) -> Response:
    subs.delete_all(s, _known(s, token))
    s.commit()
    return Response(status_code=204)


@router.get("/newsletter/data/{token}", response_class=HTMLResponse, include_in_schema=False)
def my_data_page(token: str, request: Request, s: SessionDep) -> HTMLResponse:
    data = subs.export(s, _known(s, token))
    context = {"data": data, "profile_json": json.dumps(data["profile"], ensure_ascii=False, indent=2),
               "delete_action": f"/newsletter/data/{token}/delete"}
    return templates.TemplateResponse(request, "newsletter_data.html", context)


@router.post("/newsletter/data/{token}/delete", response_class=HTMLResponse, include_in_schema=False)
def delete_my_data_page(token: str, request: Request, s: SessionDep) -> HTMLResponse:
    subs.delete_all(s, _known(s, token))
    s.commit()
    return _page(request, "Daten gelöscht", "Ihr Abonnement und alle dazu gespeicherten Daten sind gelöscht.")
