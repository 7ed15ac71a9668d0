"""Alembic environment: the URL from archive.config (or the caller), batch mode on SQLite."""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any

from sqlalchemy import pool

from alembic import context
from archive import config as podium_config
from archive.db import alembic_include_object as include_object
from archive.db import make_engine
from archive.models import Base

target_metadata = Base.metadata

# `alembic …` from the repository root logs what it does; `podium init` stays quiet.
if context.config.config_file_name:
    fileConfig(context.config.config_file_name, disable_existing_loggers=False)


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Migrations never import archive.models: render its UTC type as plain sa.DateTime."""
    if type_ == "type" and type(obj).__name__ == "UTCDateTime":
        return "sa.DateTime(timezone=True)"
    return False


def _url() -> str:
    url = context.config.get_main_option("sqlalchemy.url")
    return url or podium_config.load().database_url


def run_migrations_offline() -> None:
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
        include_object=include_object,
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        is_sqlite = connection.dialect.name == "sqlite"
        if is_sqlite:
            # Batch mode copies tables; foreign keys must be off while it does.
            # (PRAGMA foreign_keys is a no-op inside a transaction: commit the one it opened.)
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
            render_as_batch=is_sqlite,
            include_object=include_object,
            render_item=render_item,
            compare_type=True,
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        if is_sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
