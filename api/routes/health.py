"""Liveness and readiness: database reachable, model in use, index freshness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from api.deps import EngineDep, RuntimeDep
from catalog import store

router = APIRouter(tags=["health"])


@router.get("/health")
def health(engine: EngineDep, runtime: RuntimeDep) -> JSONResponse:
    try:
        with Session(engine) as s:
            s.exec(text("SELECT 1"))  # type: ignore[call-overload]
            programmes = store.count_programmes(s)
    except SQLAlchemyError as e:
        return JSONResponse({"status": "error", "database": f"nicht erreichbar: {e.__class__.__name__}"}, 503)
    index = runtime.peek_index_stats()
    return JSONResponse({
        "status": "ok",
        "database": engine.dialect.name,
        "programmes": programmes,
        "model": runtime.model_status,
        "index": index,
    })
