"""The FastAPI application: JSON API v1 under /api/v1, the German desk under /, health at /health."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.routes import desk, health, match, programmes
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
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.runtime = runtime or MatchRuntime(engine, settings)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (health, programmes, match, desk):
        app.include_router(module.router)
    return app
