"""Source health for everyone (/api/v1/sources, /quellen) and an admin's "crawl now" (audited, in the background)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from api import auditlog
from api.crawljobs import AlreadyRunning, jobs, rewrite_map, source_configs
from api.deps import AdminDep, EngineDep, SessionDep, SettingsDep
from api.models import User
from api.pages import render
from catalog.models import Programme
from crawlers.health import source_health

router = APIRouter(tags=["sources"])

SOURCE_DE = {"skew": "SKEW (Engagement Global)", "eu_portal": "EU Funding & Tenders Portal",
             "foerderdatenbank": "Förderdatenbank des Bundes", "laender": "Länder, Stiftungen und Jugendwerke"}


def _stand(engine: Engine) -> dict[str, Any]:
    """Per source the newest date its texts carry (as_of) among the programmes it still lists."""
    with Session(engine) as s:
        rows = s.exec(select(Programme.source, func.max(Programme.as_of))
                      .where(col(Programme.gone_since).is_(None)).group_by(col(Programme.source)))
        return dict(rows.all())


def health(request: Request, engine: Engine, stale_after_days: int) -> list[dict[str, Any]]:
    running, stand = jobs(request.app), _stand(engine)
    return [{**h, "label": SOURCE_DE.get(h["source"], h["source"]), "as_of": stand.get(h["source"]),
             "running": running.running(engine, h["source"])}
            for h in source_health(engine, source_configs(request.app), stale_after_days=stale_after_days)]


@router.get("/api/v1/sources")
def list_sources(request: Request, engine: EngineDep, settings: SettingsDep) -> list[dict[str, Any]]:
    """Per crawler: last success and failure (with reason), programmes, stale, Stand of its texts, running."""
    return health(request, engine, settings.stale_after_days)


def start_crawl(request: Request, s: Session, user: User, name: str) -> int | None:
    """Start and audit; 404 for an unknown source, 409 while one runs."""
    configs = source_configs(request.app)
    if name not in configs:
        raise HTTPException(404, detail=f"Keine Quelle mit dem Namen „{name}“; bekannt: {', '.join(configs)}.")
    engine, settings = request.app.state.engine, request.app.state.settings
    try:
        run_id = jobs(request.app).start(engine, settings, configs[name], rewrite_map(request.app))
    except AlreadyRunning:
        raise HTTPException(409, detail=f"Für die Quelle „{name}“ läuft bereits ein Abruf.") from None
    auditlog.record(s, user, "source.crawl", scope=f"source:{name}", object_type="source", object_id=name,
                    after={"run_id": run_id})
    s.commit()
    return run_id


@router.post("/api/v1/sources/{name}/crawl", status_code=202)
def crawl_now(request: Request, name: str, s: SessionDep, user: AdminDep) -> JSONResponse:
    """Admin only: crawl this source now, in the background. Poll /api/v1/sources for the outcome."""
    run_id = start_crawl(request, s, user, name)
    return JSONResponse({"source": name, "run_id": run_id, "status": "running"}, status_code=202)


@router.get("/quellen", response_class=HTMLResponse, include_in_schema=False)
def sources_page(request: Request, engine: EngineDep, settings: SettingsDep, gestartet: str = "",
                 lauf: str = "") -> HTMLResponse:
    rows = health(request, engine, settings.stale_after_days)
    started = gestartet if any(r["source"] == gestartet for r in rows) else ""
    return render(request, "quellen.html", {"rows": rows, "started": started, "run_id": lauf[:12],
                                            "stale_after_days": settings.stale_after_days, "error": None})


@router.post("/quellen/{name}/abrufen", include_in_schema=False)
def crawl_now_form(request: Request, name: str, s: SessionDep, settings: SettingsDep, user: AdminDep) -> Response:
    try:
        run_id = start_crawl(request, s, user, name)
    except HTTPException as e:
        if e.status_code != 409:
            raise
        rows = health(request, request.app.state.engine, settings.stale_after_days)
        return render(request, "quellen.html", {"rows": rows, "started": "", "run_id": "", "error": e.detail,
                                                "stale_after_days": settings.stale_after_days}, 409)
    return RedirectResponse(f"/quellen?gestartet={name}&lauf={run_id or ''}", status_code=303)
