"""The modules that define tables: the one list Alembic and the tests import to see the whole schema."""

import importlib

TABLE_MODULES = ["catalog.models"]


def import_all() -> None:
    for name in TABLE_MODULES:
        importlib.import_module(name)
