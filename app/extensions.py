"""Flask extensions, created unbound and attached in ``create_app`` (the sign-in ones by ``web.auth``).

Single sign-on's Authlib client is the exception: it is made on first use (``web.sso``), so that a
process that never signs anyone in through the identity provider does not load Authlib."""

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
