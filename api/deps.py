"""Request-scoped dependencies: settings, database session and the process's matcher."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from config.settings import Settings
from matcher.runtime import MatchRuntime


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    with Session(engine) as s:
        yield s


def get_runtime(request: Request) -> MatchRuntime:
    return request.app.state.runtime


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SessionDep = Annotated[Session, Depends(get_session)]
RuntimeDep = Annotated[MatchRuntime, Depends(get_runtime)]
