"""New rows of several tables written in one statement on PostgreSQL (issue 12: round trips).

A step of a case adds rows to up to four tables at once: its audit trail, its notifications, its new
tasks and (when it starts) the providers that may see it. The unit of work sends one INSERT per table;
PostgreSQL takes them all in one statement, each INSERT a data-modifying ``WITH`` query, so a completion
saves two round trips and a start three.

Only the new rows of these four tables are taken out of the flush, and only when they span two tables or
more and no other new row could refer to them (a draft carried to a new task): then the flush goes on as
before. Rows of a case inserted in the same flush are written after it (``after_flush``), the others
before the flush's updates. Each object is then registered as the flush would have registered it:
persistent, its defaults and generated id set, undone with the transaction if it rolls back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnDefault, Table, event, insert, inspect, literal, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from .audit import AuditEvent, OutboxMessage
from .instances import CaseProvider, ProcessInstance, Task

WRITTEN_TOGETHER = (AuditEvent, OutboxMessage, CaseProvider, Task)
_HELD = "sfo_written_after_flush"


@event.listens_for(Session, "before_flush")
def _take_new_rows(session: Session, _context: Any, _instances: Any) -> None:
    rows = _rows_to_write_together(session)
    if not rows:
        return
    if any(isinstance(row, ProcessInstance) for row in session.new):
        for row in rows:  # held until the case they belong to is in
            session.expunge(row)
        session.info[_HELD] = rows
        return
    _write(session, rows)


@event.listens_for(Session, "after_flush")
def _write_held_rows(session: Session, _context: Any) -> None:
    rows = session.info.pop(_HELD, None)
    if rows:
        for row in rows:
            session.add(row)
        _write(session, rows)


@event.listens_for(Session, "after_soft_rollback")
def _forget_held_rows(session: Session, _previous: Any) -> None:
    session.info.pop(_HELD, None)


def _rows_to_write_together(session: Session) -> list[Any]:
    if session.get_bind().dialect.name != "postgresql":
        return []
    rows: list[Any] = []
    others: list[Any] = []
    for row in session.new:
        (rows if isinstance(row, WRITTEN_TOGETHER) else others).append(row)
    if len({type(row) for row in rows}) < 2 or any(not isinstance(row, ProcessInstance) for row in others):
        return []
    if any(row.__dict__.get("instance") is not None and row.instance_id is None for row in rows):
        return []  # its case's id is known only once the flush has inserted the case
    return sorted(rows, key=lambda row: inspect(row).insert_order)  # as the flush orders them


def _write(session: Session, rows: list[Any]) -> None:
    """One INSERT per table, as ``WITH`` queries of one statement; the ids the database drew are read back
    in the order the rows were given (a sequence hands them out in the order of the VALUES list)."""
    by_table: dict[Table, list[Any]] = {}
    for row in rows:
        by_table.setdefault(inspect(row).mapper.local_table, []).append(row)
    statement: Any = None
    drawn_ids = []
    unreturned = []
    for number, (table, objects) in enumerate(by_table.items()):
        generated = table.autoincrement_column  # drawn from a sequence
        query = insert(table).values([_values(row, table, generated) for row in objects])
        if generated is None:
            unreturned.append(query.cte(f"w{number}"))
            continue
        written = query.returning(generated).cte(f"w{number}")
        drawn_ids.append((table, select(literal(table.name).label("t"), written.c[generated.name].label("id"))))
    if drawn_ids:
        statement = union_all(*(query for _, query in drawn_ids)) if len(drawn_ids) > 1 else drawn_ids[0][1]
    else:
        statement = select(literal(1))
    for cte in unreturned:
        statement = statement.add_cte(cte)
    ids: dict[str, list[int]] = {}
    for table_name, new_id in session.connection().execute(statement):
        ids.setdefault(table_name, []).append(new_id)
    for table, objects in by_table.items():
        generated = table.autoincrement_column  # drawn from a sequence
        if generated is not None:
            key = inspect(objects[0]).mapper.get_property_by_column(generated).key
            for row, new_id in zip(objects, sorted(ids[table.name]), strict=True):
                set_committed_value(row, key, new_id)
    session._register_persistent({inspect(row) for row in rows})  # as the flush registers what it inserted


def _values(row: Any, table: Table, generated: Any) -> dict[str, Any]:
    """The row's values as the flush would insert them, its Python-side defaults filled in on the object."""
    mapper = inspect(row).mapper
    values = {}
    for column in table.columns:
        if column is generated:
            continue
        key = mapper.get_property_by_column(column).key
        value = inspect(row).dict.get(key)
        default = column.default
        if value is None and isinstance(default, ColumnDefault):
            value = default.arg(None) if default.is_callable else default.arg
            set_committed_value(row, key, value)
        values[column.name] = value
    return values
