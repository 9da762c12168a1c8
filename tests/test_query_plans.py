"""No statement a command runs reads a whole table that grows with the cases: each one finds its rows by an index
(the code review of session 13 found two that read all announcements or all history while a case was held).
Asked of the database itself, over seeded rows and their statistics (an empty table plans as anything, and the
first version of this test passed without the fix), with PostgreSQL told to avoid sequential scans wherever an
index could serve; an index walked end to end without a condition counts as a whole read too."""
from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import replace

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


# Statements whose index is the point: each found its rows by another, which visits every row (the review).
EXPECTED = {"SETTLE_ANNOUNCEMENTS": "ix_notification_task", "LAST_RELEASE": "ix_history_event_instance_id",
            "LAST_HANDOVER": "ix_history_event_instance_id", "WITHDRAW_CASE_MAIL": "ix_notification_instance_id"}
CASES, PER_CASE = 200, 15


def seed(engine) -> None:
    """Rows as a year of work spreads them (many cases, a few announcements and history rows each, nearly all
    mail sent, no escalation), and the planner's statistics over them: an empty table plans as anything."""
    from sqlalchemy import func, insert, select, text
    from engine.models import Agency, Definition, HistoryEvent, HumanTask, Instance, Notification, utcnow
    now = utcnow()
    with engine.store.sql.begin() as conn:
        definition = conn.scalar(select(func.max(Definition.id)))
        agency = conn.execute(insert(Agency).values(code="seed", name="Seed").returning(Agency.id)).scalar_one()
        ids = [conn.execute(insert(Instance).values(
            definition_id=definition, agency_id=agency, domain_name=f"d{n}.go.id", state="", revision=0,
            status="completed", started_at=now).returning(Instance.id)).scalar_one() for n in range(CASES)]
        rows = [(case, f"{case}-{n}") for case in ids for n in range(PER_CASE)]
        conn.execute(insert(Notification), [
            {"instance_id": case, "task_id": task, "subject": "s", "body": "b", "link": "l", "message_id": f"<{task}>",
             "created_at": now, "delivery": "sent", "attempts": 1} for case, task in rows])
        conn.execute(insert(HistoryEvent), [
            {"instance_id": case, "at": now, "event": "task_created", "task_id": task} for case, task in rows])
        conn.execute(insert(HumanTask), [
            {"id": task, "instance_id": case, "element_id": "Task_X", "name": "x", "lane": "pandi", "state": "completed",
             "created_at": now} for case, task in rows])
        conn.execute(text("ANALYZE"))


def plan(engine, statement) -> tuple[list[str], list[str]]:
    """(the growing tables the database would read whole, the indexes it would use), whatever the
    parameters' values."""
    prepared = engine.store.prepared[statement]
    with engine.store.command() as tx:
        cursor = tx._cursor
        if engine.store.sql.dialect.name == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + prepared.text,
                           prepared.bind({name: None for name in prepared._required}))
            text = "\n".join(row[3] for row in cursor.fetchall())
            return full_scans(text), re.findall(r"USING (?:COVERING )?INDEX (\w+)", text)
        names: list[str] = []

        def numbered(match):  # PREPARE wants $1..$n where psycopg writes %(name)s
            if match.group(1) not in names:
                names.append(match.group(1))
            return f"${names.index(match.group(1)) + 1}"

        text = re.sub(r"%\((\w+)\)s", numbered, prepared.text)
        cursor.execute("SET LOCAL enable_seqscan = off")  # a full scan is then chosen only where no index serves
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")  # not one for NULL parameters
        cursor.execute(f"PREPARE planned AS {text}")
        cursor.execute("EXPLAIN (FORMAT JSON) EXECUTE planned" +
                       (f"({', '.join(['NULL'] * len(names))})" if names else ""))
        tree = cursor.fetchone()[0]
        cursor.execute("DEALLOCATE planned")  # the pooled connection keeps it past the transaction
        return whole_reads(tree[0]["Plan"]), indexes(tree[0]["Plan"])


def whole_reads(node: dict) -> list[str]:
    """PostgreSQL: a growing table read by a sequential scan, or through an index with no condition on it (an
    index walked end to end, filtering every row)."""
    found = []
    if node.get("Relation Name") in GROWING and (
            node["Node Type"] == "Seq Scan" or
            node["Node Type"] in ("Index Scan", "Index Only Scan") and "Index Cond" not in node):
        found.append(node["Relation Name"])
    for child in node.get("Plans", []):
        found += whole_reads(child)
    return found


def indexes(node: dict) -> list[str]:
    return ([node["Index Name"]] if "Index Name" in node else []) + \
        [name for child in node.get("Plans", []) for name in indexes(child)]


def full_scans(text: str) -> list[str]:
    return [table for table in re.findall(r"\bSCAN (\w+)", text) if table in GROWING]


def test_every_statement_finds_its_rows_by_an_index(engine):
    seed(engine)
    scanned, used = {}, {}
    for name, statement in statements():
        tables, used[name] = plan(engine, statement)
        if tables:
            scanned[name] = tables
    assert {"SETTLE_ANNOUNCEMENTS", "LAST_RELEASE", "LAST_HANDOVER", "COMPLETE", "LOCK_INSTANCE"} <= set(used)
    assert scanned == {}
    assert {name: index for name, index in EXPECTED.items() if index not in used[name]} == {}, used


@pytest.mark.parametrize("text, tables", [
    ("SCAN history_event\nSEARCH user_account USING INTEGER PRIMARY KEY (rowid=?)", ["history_event"]),
    ("SCAN notification USING COVERING INDEX ix_notification_outbox", ["notification"]),
    ("SCAN user_account", []),
    ("SEARCH notification USING INDEX ix_notification_task (task_id=?)", []),
])
def test_a_full_scan_is_recognised_in_sqlite_s_words(text, tables):
    assert full_scans(text) == tables


def test_a_whole_read_is_recognised_in_postgresql_s_plans():
    walked = {"Node Type": "Limit", "Plans": [{"Node Type": "Index Scan", "Relation Name": "history_event",
                                              "Index Name": "history_event_pkey", "Filter": "(task_id = $2)"}]}
    assert whole_reads(walked) == ["history_event"] and indexes(walked) == ["history_event_pkey"]
    found = {"Node Type": "Index Scan", "Relation Name": "notification", "Index Name": "ix_notification_task",
             "Index Cond": "(task_id = $1)"}
    assert whole_reads(found) == [] and whole_reads({"Node Type": "Seq Scan", "Relation Name": "timer"}) == ["timer"]


def test_what_every_case_page_and_person_asks_finds_its_rows_by_an_index(engine, people):
    """The scale probe (11,000 cases on PostgreSQL): every case page and filing asked for the domain's other
    cases with lower(domain_name), which no index serves, and a person's notifications walked the whole table
    backwards. What the pages ask through the ORM is planned here as it was sent, parameters and all."""
    from sqlalchemy import event
    seed(engine)
    sent = []

    def keep(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))
    event.listen(engine.store.sql, "before_cursor_execute", keep)
    try:
        engine.instances.same_domain(engine.identity.by_username("fajar"), 0, "D5.go.id")
        engine.instances.same_domain(engine.identity.by_username("ani"), 0, "d5.go.id")
        engine.notifications.list(engine.identity.by_username("citra"))
        for reader in ("fajar", "ani"):  # the worklist's flag on a domain in two running cases
            engine.instances.disputed_twice(engine.identity.by_username(reader), {"d5.go.id", "d6.go.id"})
        rows, _ = engine.tasks.list(engine.identity.by_username("fajar"), state=None, limit=20)
        assert engine.tasks.rounds([replace(r, state="ready") for r in rows])  # which round each step would be
    finally:
        event.remove(engine.store.sql, "before_cursor_execute", keep)
    asked = [(s, p) for s, p in sent if re.search(r"\bFROM (process_instance|notification)\b", s)
             or re.search(r"\bFROM human_task\b.*\bGROUP BY\b", s, re.S)]
    assert len(asked) >= 6, sent
    for statement, parameters in asked:
        with engine.store.command() as tx:
            cursor = tx._cursor
            if engine.store.sql.dialect.name == "sqlite":
                cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
                assert full_scans("\n".join(row[3] for row in cursor.fetchall())) == [], statement
            else:
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
                assert whole_reads(cursor.fetchone()[0][0]["Plan"]) == [], statement
