"""The body of every service's Alembic ``env.py``: one implementation, called with metadata."""

from __future__ import annotations

from alembic import context
from sqlalchemy import MetaData, engine_from_config, pool


def run_env(target_metadata: MetaData, default_version_table: str) -> None:
    config = context.config
    version_table = config.attributes.get("version_table", default_version_table)
    url = config.get_main_option("sqlalchemy.url")
    render_as_batch = bool(url and url.startswith("sqlite"))  # SQLite can't ALTER most things
    if context.is_offline_mode():
        context.configure(
            url=url,
            target_metadata=target_metadata,
            literal_binds=True,
            version_table=version_table,
            render_as_batch=render_as_batch,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table=version_table,
            render_as_batch=render_as_batch,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Several replicas may start at once: one migrates, the others wait.
                connection.exec_driver_sql(
                    "SELECT pg_advisory_xact_lock(hashtext(%s))", (version_table,)
                )
            context.run_migrations()
