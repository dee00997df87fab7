"""Flask extensions, created unbound and attached in ``create_app`` (the sign-in ones by ``web.auth``).

Two are attached on first use instead, so that a web worker loads neither: single sign-on's Authlib
client (``web.sso``), made when someone signs in through the identity provider, and Flask-Migrate
(``attach_migrations``), which loads Alembic (about 11 MB) for the ``sfo`` commands and the tests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)

if TYPE_CHECKING:

    class Model(Base):
        __abstract__ = True

else:
    Model = db.Model
login_manager = LoginManager()
csrf = CSRFProtect()


def attach_migrations(app: Flask) -> Any:
    """Flask-Migrate on ``app`` (once): what ``flask_migrate.upgrade`` and the ``sfo db`` commands use."""
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        from .config import PROJECT_ROOT

        Migrate(app, db, directory=str(PROJECT_ROOT / "migrations"))
    return app.extensions["migrate"]


def forget_inherited_connections(app: Flask) -> None:
    """In a process forked from one that built ``app`` (a preloading gunicorn's worker): drop the pooled
    connections it inherited without closing them, since they belong to the parent, and open its own."""
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
