"""The FastAPI application: JSON API v1 under /api/v1, the German desk under /, health at /health."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from api import pages
from api.deps import get_principal, reject_nul
from api.metrics import instrument
from api.ratelimit import SlidingWindow
from api.routes import (
    audit,
    calendar,
    cases,
    corrections,
    desk,
    desk_auth,
    desk_cases,
    desk_review,
    exports,
    health,
    match,
    metrics,
    newsletter_desk,
    profiles,
    programmes,
    sources,
    subscriptions,
)
from catalog.db import open_database
from config.settings import Settings, get_settings
from matcher.runtime import MatchRuntime

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).with_name("static")


def create_app(settings: Settings | None = None, runtime: MatchRuntime | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.check_production()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = runtime.engine if runtime else open_database(settings.db_url)
    app = FastAPI(
        title="foerdermatch",
        version="1.0",
        description="Förderprogramme für kommunale Partnerschaften: Katalog, Matching, Förderfähigkeit, Eigenanteil.",
        # Every request learns who is asking: a bad token is a 401 everywhere, pages show the logged-in user.
        # A NUL character in any input is a 422 before it reaches the database.
        dependencies=[Depends(reject_nul), Depends(get_principal)],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.runtime = runtime or MatchRuntime(engine, settings)
    app.state.match_limiter = SlidingWindow(settings.match_rate_limit, settings.match_rate_window_s)
    app.state.login_limiter = SlidingWindow(20, 300)  # password guessing: 20 attempts per 5 minutes and IP
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (health, programmes, match, profiles, cases, corrections, audit,
                   desk, desk_auth, desk_cases, desk_review):
        app.include_router(module.router)
    app.include_router(subscriptions.router)
    app.include_router(newsletter_desk.router)
    for module in (exports, calendar, sources, metrics):
        app.include_router(module.router)
    instrument(app)  # request and match latency for /metrics
    app.add_exception_handler(HTTPException, pages.http_error)
    app.add_exception_handler(RequestValidationError, pages.validation_error)
    for error in pages.DATABASE_UNAVAILABLE:
        app.add_exception_handler(error, pages.database_unavailable)
    return app
