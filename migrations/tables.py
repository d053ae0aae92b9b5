"""The modules that define tables: the one list Alembic and the tests import to see the whole schema."""

import importlib

# Each package that defines tables adds its module here (and a migration in migrations/versions/).
TABLE_MODULES = ["catalog.models", "crawlers.models", "api.models", "newsletter.models"]


def import_all() -> None:
    for name in TABLE_MODULES:
        importlib.import_module(name)
