"""Alembic for every app, configured in code: `pasar migrate <app>` runs the app's migrations/."""
from __future__ import annotations

import importlib

from alembic import command, context
from alembic.config import Config

from . import config


def app_package(app: str) -> str:
    return "gateway" if app == "gateway" else f"services.{app}"


def alembic_config(app: str, url: str | None = None) -> Config:
    folder = config.ROOT / ("gateway" if app == "gateway" else f"services/{app}") / "migrations"
    cfg = Config()
    cfg.set_main_option("script_location", str(folder))
    cfg.set_main_option("sqlalchemy.url", (url or config.database_url(app)).replace("%", "%%"))
    cfg.attributes["app"] = app
    return cfg


def upgrade(app: str, url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(app, url), revision)


def revision(app: str, message: str, autogenerate: bool = True) -> None:
    command.revision(alembic_config(app), message=message, autogenerate=autogenerate)


def run_env(metadata) -> None:
    """Body of every migrations/env.py (online mode only: we always have a database)."""
    from .db import make_engine
    url = context.config.get_main_option("sqlalchemy.url")
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata,
                          render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def metadata_of(app: str):
    return importlib.import_module(f"{app_package(app)}.models").Base.metadata
