"""The application role's name as migrations see it (``alembic.ini``'s ``fiscus_app_user``,
set from ``Settings.database.app_user``), checked before it is spliced into DDL."""

from __future__ import annotations

from alembic import op


def app_role() -> str:
    config = op.get_context().config
    assert config is not None
    role = config.get_main_option("fiscus_app_user") or "fiscus_app"
    if not role.replace("_", "").isalnum():
        raise ValueError(f"unsafe role name {role!r}")
    return role
