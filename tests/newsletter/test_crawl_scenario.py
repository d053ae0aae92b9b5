"""The whole way: subscribe and confirm, crawl the SKEW fixture site, a programme's deadline changes on the
site, the next crawl notices, the digest says exactly that, and a further run sends nothing."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from sqlmodel import Session, select

from newsletter.jobs import run_newsletter
from newsletter.models import SentItem
from tests.crawlers.test_crawl_run import crawl
from tests.newsletter.test_email import ADDRESS, parts, path, subscribe
from tests.sites.server import SITES, serve_sites

NAKOPA = "Nachhaltige Kommunalentwicklung durch Partnerschaftsprojekte"


def test_crawl_change_digest_then_nothing(client, engine, runtime, nl_settings, smtp, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    inbox, _ = smtp
    subscribe(client)
    link = re.search(r"http://testserver/newsletter/confirm/\S+", parts(inbox.to(ADDRESS)[0])[0]).group(0)
    assert client.get(path(link)).status_code == 200
    root = tmp_path / "sites"
    shutil.copytree(SITES, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    fast = nl_settings.model_copy(update={"crawl_backoff_s": 0.05})
    with serve_sites(root=root) as server:
        assert crawl(engine, fast, server, "skew").status == "ok"
        run_newsletter(engine, nl_settings, runtime)
        first = inbox.to(ADDRESS)[1:]
        assert len(first) == 1 and f"Neu: {NAKOPA}" in parts(first[0])[0]

        page = root / "skew.engagement-global.de" / "unterstuetzung-durch-nakopa.html"
        page.write_text(
            page.read_text(encoding="utf-8").replace("30. September 2023", "30. September 2027"), encoding="utf-8"
        )
        result = crawl(engine, fast, server, "skew")
        assert result.status == "ok" and result.counts["changed"] == 1

    run_newsletter(engine, nl_settings, runtime)
    update = inbox.to(ADDRESS)[2:]
    assert len(update) == 1
    text, _ = parts(update[0])
    assert f"Geändert: {NAKOPA}" in text and "30.09.2027" in text
    assert text.count("Geändert:") == 1 and "Neu:" not in text
    with Session(engine) as s:
        changed = s.exec(select(SentItem).where(SentItem.kind == "changed")).all()
    assert [i.programme_id for i in changed] == ["skew-nakopa"]

    run_newsletter(engine, nl_settings, runtime)
    assert len(inbox.to(ADDRESS)) == 3  # nothing twice, no empty digest
