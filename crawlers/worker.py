"""`foerdermatch worker`: one APScheduler process runs each source on its cron, as the single leader.

Every worker process may run, but only the leader (see crawlers/leader.py) executes jobs; the others wait
and take over when the leader is gone. Runs missed while no worker led are made up once (coalesced).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from catalog.models import CrawlRun, utcnow
from config.settings import Settings
from crawlers.archive import prune
from crawlers.base import SourceConfig
from crawlers.health import reap_interrupted
from crawlers.leader import LeaderLock
from crawlers.run import crawl_source

log = logging.getLogger(__name__)

def prune_archive(engine: Engine, settings: Settings) -> None:
    """Old raw pages go after each crawl round (retention: settings.raw_retention_days)."""
    pruned = prune(engine, settings, utcnow())
    log.info("archive pruned: %s", pruned)


# Jobs run after each crawl round (e.g. the newsletter registers here); the worker stays generic.
AFTER_CRAWL: list[Callable[[Engine, Settings], None]] = [prune_archive]
# Jobs on their own cron (e.g. the daily and weekly newsletter), run by the leader only.
SCHEDULED: list[tuple[str, Callable[[Engine, Settings], None]]] = []


def previous_fire(cron: str, now: dt.datetime) -> dt.datetime | None:
    """The last time the cron expression fired at or before ``now`` (searched back over 35 days)."""
    trigger = CronTrigger.from_crontab(cron, timezone=dt.UTC)
    fire, last = trigger.get_next_fire_time(None, now - dt.timedelta(days=35)), None
    while fire is not None and fire <= now:
        last, fire = fire, trigger.get_next_fire_time(fire, fire + dt.timedelta(seconds=1))
    return last


def missed(configs: dict[str, SourceConfig], last_started: dict[str, dt.datetime | None],
           now: dt.datetime) -> list[str]:
    """Sources whose most recent scheduled time passed without a crawl started since (pure)."""
    due = []
    for name, cfg in configs.items():
        fire = previous_fire(cfg.cron, now) if cfg.enabled else None
        started = last_started.get(name)
        if fire is not None and (started is None or started < fire):
            due.append(name)
    return due


def last_started(engine: Engine) -> dict[str, dt.datetime | None]:
    with Session(engine) as s:
        rows = s.exec(select(CrawlRun.source, func.max(CrawlRun.started_at)).group_by(col(CrawlRun.source)))
        return {src: (t if t is None or t.tzinfo else t.replace(tzinfo=dt.UTC)) for src, t in rows}


class Worker:
    def __init__(self, engine: Engine, settings: Settings, configs: dict[str, SourceConfig], *,
                 heartbeat_s: float = 15.0) -> None:
        self.engine, self.settings, self.configs = engine, settings, configs
        self.lock = LeaderLock(engine, lease_s=int(heartbeat_s * 4))
        self.heartbeat_s = heartbeat_s
        self.stop = threading.Event()
        self._run_lock = threading.Lock()  # one crawl at a time within this process
        self.leading = False

    def run_sources(self, names: list[str]) -> None:
        with self._run_lock:
            for name in names:
                if self.stop.is_set() or not self.lock.try_acquire():
                    return
                summary = asyncio.run(crawl_source(self.engine, self.settings, self.configs[name],
                                                   rewrite=self.settings.crawl_rewrite or None))
                log.info("crawl %s: %s %s", name, summary.status, summary.counts or summary.reason)
            for job in AFTER_CRAWL:
                job(self.engine, self.settings)

    def _job(self, name: str) -> None:
        if self.lock.try_acquire():
            self.run_sources([name])

    def _scheduled(self, job: Callable[[Engine, Settings], None]) -> None:
        if self.lock.try_acquire():
            with self._run_lock:
                job(self.engine, self.settings)

    def serve(self) -> None:
        scheduler = BackgroundScheduler(timezone=dt.UTC, job_defaults={"coalesce": True, "max_instances": 1})
        for name, cfg in self.configs.items():
            if cfg.enabled:
                scheduler.add_job(self._job, CronTrigger.from_crontab(cfg.cron, timezone=dt.UTC), args=[name], id=name)
        for n, (cron, job) in enumerate(SCHEDULED):
            trigger = CronTrigger.from_crontab(cron, timezone=dt.UTC)
            scheduler.add_job(self._scheduled, trigger, args=[job], id=f"scheduled-{n}")
        scheduler.start()
        try:
            while not self.stop.is_set():
                self._heartbeat()
                self.stop.wait(self.heartbeat_s)
        finally:
            scheduler.shutdown(wait=False)
            self.lock.release()

    def _heartbeat(self) -> None:
        leading = self.lock.try_acquire()
        if leading and not self.leading:
            log.info("worker %s is the leader", self.lock.holder)
            reap_interrupted(self.engine)
            due = missed(self.configs, last_started(self.engine), utcnow())
            if due:
                threading.Thread(target=self.run_sources, args=(due,), daemon=True).start()
        self.leading = leading
