"""Rebuild the EU search API fixture (the answer to every POST of the search endpoint) from its parts.

The real capture's five results (unchanged) plus our reconstructed CERV town topics, as one page whose
totalResults says there is no second page. Run: .venv/bin/python tests/sites/build_eu_search.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SITES = Path(__file__).resolve().parent
CAPTURE = SITES / "eu-captures" / "sedia-search_text-AI_api-2.143.3_raw.json"
RECONSTRUCTED = SITES / "eu-reconstructed" / "cerv-2024-town-topics.json"
TARGET = SITES / "api.tech.ec.europa.eu" / "search-api" / "prod" / "rest" / "search.POST.json"


def build() -> bytes:
    capture: dict[str, Any] = json.loads(CAPTURE.read_bytes())
    results = capture["results"] + json.loads(RECONSTRUCTED.read_bytes())["results"]
    page = {**capture, "terms": "***", "totalResults": len(results), "pageNumber": 1, "pageSize": 100}
    page["results"] = results
    return (json.dumps(page, ensure_ascii=False, indent=1) + "\n").encode()


if __name__ == "__main__":
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_bytes(build())
    print(f"{TARGET.relative_to(SITES)}: {len(json.loads(TARGET.read_bytes())['results'])} results")
