"""GET /metrics: Prometheus text format for the monitoring system."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse

from api import metrics

router = APIRouter(include_in_schema=False)


@router.get("/metrics", response_class=PlainTextResponse)
async def prometheus(request: Request) -> PlainTextResponse:
    text = await run_in_threadpool(metrics.render, request.app)
    return PlainTextResponse(text, media_type="text/plain; version=0.0.4; charset=utf-8")
