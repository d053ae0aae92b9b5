"""Alembic environment: the engine comes from catalog.db, the metadata from all table modules."""

from alembic import context
from sqlmodel import SQLModel

import catalog.models  # noqa: F401  (registers the catalogue tables)
from migrations.tables import import_all

import_all()
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
