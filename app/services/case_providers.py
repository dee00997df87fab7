"""The provider organisations of a case. The one that notified it (``provider_org``) is the primary
provider; a case supervised by more than one provider (a transfer between organisations) names the others
in ``other_providers``. Each gets a ``case_provider`` row: a provider user of any of them sees the case,
its report goes to each, and each answers the recommendations addressed to it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, inspect, select, update

from ..extensions import db
from ..models import CaseProvider, ProcessInstance, User

ORGANISATION_LENGTH = 120


def named_providers(data: dict[str, Any], primary: str | None = None) -> list[str]:
    """The case's providers, the primary first, each once. The others count only once the SFO team has
    confirmed the case for review (``eligible``), having read the notification that names them: until
    then only the notifying provider sees the case, so a provider named by mistake sees nothing of it."""
    others = data.get("other_providers") if data.get("eligible") is True else []
    names = [data.get("provider_org") or primary or ""] + (others if isinstance(others, list) else [])
    cleaned = (name[:ORGANISATION_LENGTH] for name in names if isinstance(name, str))  # as the diagram reads them
    return [name for name in dict.fromkeys(cleaned) if name]


def unknown_providers(data: dict[str, Any]) -> dict[str, list[str]]:
    """Field messages for other providers that are not provider organisations of this service (none of
    its active provider users belongs to them), or that repeat the notifying provider."""
    others = data.get("other_providers")
    if not isinstance(others, list) or not others:
        return {}
    known = set(
        db.session.scalars(select(User.organisation).where(User.role == "provider", User.active.is_(True)).distinct())
    )
    problems = [
        f"{name} is the provider notifying the case"
        if name == data.get("provider_org")
        else f"{name} is not a probation provider this service knows: check the name, or ask the SFO team"
        for name in others
        if isinstance(name, str) and (name not in known or name == data.get("provider_org"))
    ]
    return {"other_providers": problems} if problems else {}


def recommendation_provider(recommendation: Any, providers: list[str]) -> str | None:
    """The provider that answers a recommendation: the one it names, when that is one of the case's
    providers; otherwise (a single provider, or a recommendation for HMPPS or the Ministry of Justice)
    the primary provider. The diagram's "Send the report to the providers" applies the same rule."""
    named = recommendation.get("provider") if isinstance(recommendation, dict) else None
    if isinstance(named, str) and named in providers:
        return named
    return providers[0] if providers else None


def providers_of(instance: ProcessInstance) -> list[str]:
    """The case's providers as recorded, the primary first."""
    query = (
        select(CaseProvider.organisation)
        .where(CaseProvider.instance_id == instance.id)
        .order_by(CaseProvider.is_primary.desc(), CaseProvider.organisation)
    )
    return list(db.session.scalars(query))


def sync_case_providers(instance: ProcessInstance, data: dict[str, Any]) -> None:
    """Make the case's provider rows match its new ``data`` (called whenever the case is saved, before
    ``instance.data`` is replaced). The rows match the data saved before, so only a change is written: most
    saves send no statement at all."""
    with db.session.no_autoflush:  # the case's own changes go in its one UPDATE, after this
        _sync(instance, named_providers(data, instance.provider_org))


def _sync(instance: ProcessInstance, wanted: list[str]) -> None:
    before = _saved_providers(instance)
    if wanted == before:
        return
    removed = [name for name in before if name not in wanted]
    if removed:
        db.session.execute(
            delete(CaseProvider).where(CaseProvider.instance_id == instance.id, CaseProvider.organisation.in_(removed))
        )
    for position, name in enumerate(wanted):
        if name not in before:
            db.session.add(CaseProvider(instance_id=instance.id, organisation=name, is_primary=position == 0))
        elif (before.index(name) == 0) != (position == 0):
            db.session.execute(
                update(CaseProvider)
                .where(CaseProvider.instance_id == instance.id, CaseProvider.organisation == name)
                .values(is_primary=position == 0)
            )


def _saved_providers(instance: ProcessInstance) -> list[str]:
    """The providers the case's rows hold: from the data saved last when it is loaded (a new case has
    none), else read from the rows."""
    if inspect(instance).pending:
        return []
    saved = inspect(instance).attrs.data.loaded_value
    if isinstance(saved, dict):
        return named_providers(saved, instance.provider_org) if saved else []
    return providers_of(instance)


def providers_named_in(instance: ProcessInstance) -> list[str]:
    """The case's providers, the primary first, as its data names them (what its rows hold), for pages
    that have read the case's data already."""
    return named_providers(instance.data or {}, instance.provider_org)


def is_provider_of(instance: ProcessInstance, organisation: str | None) -> bool:
    if not organisation:
        return False
    if instance.provider_org == organisation:
        return True
    query = select(CaseProvider.instance_id).where(
        CaseProvider.instance_id == instance.id, CaseProvider.organisation == organisation
    )
    return db.session.scalar(query.limit(1)) is not None


def cases_of_organisation(organisation: str):
    """The ids of the cases the organisation is a provider of (an indexed look-up, for ``IN``)."""
    return select(CaseProvider.instance_id).where(CaseProvider.organisation == organisation)
