"""No statement a command runs reads a whole table that grows with the cases: each one finds its rows by an index
(the code review of session 13 found two that read all announcements or all history while a case was held).
Asked of the database itself, with its planner told to avoid full scans wherever an index could serve."""
from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from sqlalchemy.sql.expression import Executable

import engine as engine_package

# Tables that grow with every case; agencies, accounts and versions stay small.
GROWING = ("process_instance", "human_task", "timer", "history_event", "notification", "escalation", "document")
# The base of the filtered task lists (worklist, API): each caller adds the filter its index serves.
BASES = {"TASK_ROWS"}


def statements():
    for module in pkgutil.iter_modules(engine_package.__path__):
        found = importlib.import_module(f"engine.{module.name}")
        for name, value in vars(found).items():
            if name.isupper() and isinstance(value, Executable) and name not in BASES:
                yield name, value


def plan(engine, statement) -> str:
    """The plan the database chooses for the statement, whatever the parameters' values."""
    prepared = engine.store.prepared[statement]
    with engine.store.command() as tx:
        cursor = tx._cursor
        if engine.store.sql.dialect.name == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + prepared.text,
                           prepared.bind({name: None for name in prepared._required}))
            return "\n".join(row[3] for row in cursor.fetchall())
        names: list[str] = []

        def numbered(match):  # PREPARE wants $1..$n where psycopg writes %(name)s
            if match.group(1) not in names:
                names.append(match.group(1))
            return f"${names.index(match.group(1)) + 1}"

        text = re.sub(r"%\((\w+)\)s", numbered, prepared.text)
        cursor.execute("SET LOCAL enable_seqscan = off")  # a full scan is then chosen only where no index serves
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")  # not one for NULL parameters
        cursor.execute(f"PREPARE planned AS {text}")
        cursor.execute("EXPLAIN EXECUTE planned" + (f"({', '.join(['NULL'] * len(names))})" if names else ""))
        text = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("DEALLOCATE planned")  # the pooled connection keeps it past the transaction
        return text


def full_scans(text: str) -> list[str]:
    pattern = r"\bSCAN (\w+)" if "Seq Scan" not in text else r"Seq Scan on (\w+)"
    return [table for table in re.findall(pattern, text) if table in GROWING]


def test_every_statement_finds_its_rows_by_an_index(engine):
    scanned = {}
    names = []
    for name, statement in statements():
        names.append(name)
        tables = full_scans(plan(engine, statement))
        if tables:
            scanned[name] = tables
    assert {"SETTLE_ANNOUNCEMENTS", "LAST_RELEASE", "LAST_HANDOVER", "COMPLETE", "LOCK_INSTANCE"} <= set(names)
    assert scanned == {}


@pytest.mark.parametrize("text, tables", [
    ("SCAN history_event\nSEARCH user_account USING INTEGER PRIMARY KEY (rowid=?)", ["history_event"]),
    ("SCAN notification USING COVERING INDEX ix_notification_outbox", ["notification"]),
    ("SCAN user_account", []),
    ("Limit\n  ->  Seq Scan on history_event  (cost=10000000000.00..1.00 rows=1)", ["history_event"]),
    ("Index Scan using ix_notification_task on notification", []),
])
def test_a_full_scan_is_recognised_in_either_database_s_words(text, tables):
    assert full_scans(text) == tables
