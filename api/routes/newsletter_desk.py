"""The desk's view of the newsletter: subscriptions by status and every delivery problem."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import col, func, select

from api.deps import DeskDep, SessionDep
from api.pages import render
from newsletter.models import Subscription
from newsletter.outbox import delivery_problems

router = APIRouter()


def _overview(s: SessionDep) -> dict[str, Any]:
    rows = s.exec(select(Subscription.status, func.count()).group_by(col(Subscription.status)))
    found = delivery_problems(s)
    return {"subscriptions": dict(rows.all()), "problem_subscriptions": found["subscriptions"],
            "messages": found["messages"]}


@router.get("/api/v1/newsletter/problems", tags=["newsletter"])
def problems(s: SessionDep, user: DeskDep) -> dict[str, Any]:
    """Subscriptions by status; disabled or failing subscriptions; dead, unknown or retried messages."""
    return _overview(s)


@router.get("/newsletter", response_class=HTMLResponse, include_in_schema=False)
def newsletter_page(request: Request, s: SessionDep, user: DeskDep) -> HTMLResponse:
    return render(request, "newsletter_desk.html", _overview(s))
