"""The explicit list of sources; a duplicate name is an error, not a silent override."""

from __future__ import annotations

import importlib

from crawlers.base import Source

# name -> "module:Class"; a source module is imported only when used.
SOURCES = {
    "skew": "crawlers.skew:SkewSource",
    "eu_portal": "crawlers.eu_portal:EuPortalSource",
    "foerderdatenbank": "crawlers.foerderdatenbank:FoerderdatenbankSource",
    "laender": "crawlers.laender:LaenderSource",
}


def get_source(name: str) -> Source:
    if name not in SOURCES:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(SOURCES)}")
    module, cls = SOURCES[name].split(":")
    source = getattr(importlib.import_module(module), cls)()
    if source.name != name:
        raise RuntimeError(f"source {SOURCES[name]} calls itself {source.name!r}, registered as {name!r}")
    return source
