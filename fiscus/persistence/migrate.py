"""Run alembic programmatically, as the owner role, from Settings."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

from alembic import command
from fiscus.config import Settings
from fiscus.persistence.database import owner_url

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


def alembic_config(settings: Settings) -> Config:
    if settings.database.url is None:
        raise RuntimeError("database.url is not set (embedded services not started?)")
    config = Config(str(ALEMBIC_INI))
    url = owner_url(settings.database.url.get_secret_value())
    config.set_main_option(
        "sqlalchemy.url", url.render_as_string(hide_password=False).replace("%", "%%")
    )
    config.set_main_option("fiscus_app_user", settings.database.app_user)
    config.set_main_option(
        "fiscus_app_password", settings.database.app_password.get_secret_value().replace("%", "%%")
    )
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Blocking (alembic runs its own event loop): call from a thread inside async code."""
    command.upgrade(alembic_config(settings), revision)
