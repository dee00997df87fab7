from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UtcDateTime

ROLES = ("provider", "sfo-team", "reviewer", "quality-assurer", "publication", "manager", "process-owner", "admin")
# The six SFO groups, seeded into the group table by its migration (and by ``seed_groups``): diagrams
# name lanes for people ("SFO team"), the service sees group ids (sfo-team). Process owners add groups
# and lane names as data (services/groups.py); these are only where a new database starts.
GROUP_TITLES: dict[str, str] = {
    "provider": "Provider",
    "sfo-team": "SFO team",
    "reviewer": "Reviewer",
    "quality-assurer": "Quality assurance",
    "publication": "Publication team",
    "manager": "Manager",
}
LANE_GROUPS = GROUP_TITLES  # iterates as the group ids; the engine also reads the titles from it
REVIEW_BODY_ROLES = ("sfo-team", "quality-assurer", "publication", "manager", "admin")


class User(Model):
    __tablename__ = "user_account"
    __table_args__ = (UniqueConstraint("sso_issuer", "sso_subject", name="uq_user_account_sso"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(40))
    organisation: Mapped[str | None] = mapped_column(String(120), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    # Copied into the session cookie at sign-in and compared on every request: raising it (sign-out,
    # disable, password change) ends every session of the user at once, on every server.
    session_generation: Mapped[int] = mapped_column(default=1, server_default="1")
    # A password set by an administrator must be replaced by the user at their next sign-in.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Set for a person who signs in through the organisation's identity provider (OpenID Connect): the
    # issuer and the subject it gives them. Such an account has no password; its roles follow the claims.
    sso_issuer: Mapped[str | None] = mapped_column(String(255))
    sso_subject: Mapped[str | None] = mapped_column(String(255))
    # When the identity provider's groups stopped giving the person access (the account was disabled
    # then): their next sign-in with a mapped group enables it again. Unset when an administrator disables it.
    sso_removed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    inbox_seen_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())  # tasks after it are "new"
    groups: Mapped[list[UserGroup]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def group_names(self) -> set[str]:
        return {g.name for g in self.groups} | {self.role}

    def in_group(self, name: str) -> bool:
        return name in self.group_names

    @property
    def is_provider(self) -> bool:
        return self.role == "provider"

    @property
    def label(self) -> str:
        return self.display_name or self.username


class UserGroup(Model):
    __tablename__ = "user_group"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class Group(Model):
    """A group of people a diagram lane stands for; its members are user_group rows of the same name."""

    __tablename__ = "group"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    created_by: Mapped[str] = mapped_column(String(80), default="system")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class GroupLaneName(Model):
    """Another name a lane may carry for a group (a lane of an imported model mapped to a group here),
    kept in the form lanes are compared in: spaces collapsed, case folded."""

    __tablename__ = "group_lane_name"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    group_id: Mapped[str] = mapped_column(ForeignKey("group.id", ondelete="CASCADE"), index=True)


class ApiToken(Model):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(80))
    user: Mapped[User] = relationship(lazy="joined")

    def is_usable(self, at: dt.datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or at < self.expires_at)


class RateLimitCounter(Model):
    """Fixed-window counters of the rate limiter, shared by every server process (see services/throttle.py)."""

    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[float] = mapped_column(index=True)  # seconds since the epoch, as the limiter counts
