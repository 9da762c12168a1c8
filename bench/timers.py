"""What the SLA timer path costs: an idle worker's pass against many waiting timers, and how late
1,000 timers that fall due at the same instant actually fire.

(1) idle pass: `timers.run_pass(owner)` + `timers.next_due()` (what a worker does on every wake when
    nothing is due), timed on two databases side by side, one holding `--timers-small` waiting timers
    and one holding `--timers-large` (bulk-inserted rows far in the future, referencing a handful of
    real cases). Passes alternate between the two one by one, so machine noise touches both alike;
    medians are kept, plus the median CPU time of the calling thread (less sensitive to a busy box).
    The cost should not grow with the number waiting: `ratio` = large / small should stay near 1.
    Measured twice: with no planner statistics on the timer table (as the bulk insert leaves it; on
    PostgreSQL autovacuum is switched off for the scratch table so that stays true), then after
    ANALYZE. The headline keys take the state a running deployment is in: after ANALYZE on
    PostgreSQL (autovacuum's job), no statistics on SQLite (nothing runs ANALYZE there); both are in
    the JSON as pass_ms_*_none / pass_ms_*_analyzed, and the query plans are printed for each.
(2) lateness: `--due` real cases are filed through the engine (each waits on its step-2 SLA timer),
    then all their timers are set due at one instant T a few seconds ahead, and one
    `Worker(timers, outbox, max_sleep=1.0)` runs in a thread, on an engine of its own (cold workflow
    cache, as the separate `flask timers` process has; the process definition is parsed beforehand,
    as in a worker that has been running). Lateness per timer = fired_at - due_at, from the rows.
    The last timer's lateness is about the time the whole batch takes to fire, so throughput and the
    first timer's lateness (the wake-up precision) are printed too.

SQLite (a file in a fresh temporary folder) by default; `--database-url` runs on PostgreSQL instead:
give the server's maintenance database (e.g. postgresql://postgres@127.0.0.1:5432/postgres); scratch
databases are created beside it and dropped at the end. The last line printed is one JSON object:
{"pass_ms_1k": .., "pass_ms_100k": .., "ratio": .., "late_p50_ms": .., "late_p99_ms": .., ...}.

    PYTHONPATH=. .venv/bin/python bench/timers.py [--timers-small N] [--timers-large N] [--due N]
                                                  [--passes N] [--database-url URL]
"""
from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "tests"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from sqlalchemy import func, insert, select, text, update  # noqa: E402

from engine import PROCESS_KEY, Engine, migrate  # noqa: E402
from engine.forms import Upload  # noqa: E402
from engine.models import Escalation, Instance, Notification, Timer, utcnow  # noqa: E402
from engine.worker import Worker  # noqa: E402
from samples import make_pdf, request_data  # noqa: E402

PROCESS = ROOT / "process" / "sengketa.bpmn"
FORMS = ROOT / "forms"
REAL_CASES = 5          # real instances the bulk-inserted timers point at
BATCH = 5000            # rows per bulk insert
OWNER = "bench-idle-worker"


# -- databases -----------------------------------------------------------------------------------
class Backend:
    """Hands out fresh, migrated databases and removes them afterwards."""

    def __init__(self, server_url: str | None, folder: Path):
        self.folder = folder
        self.admin = None
        self.made: list[str] = []
        if server_url:
            if not server_url.startswith("postgresql"):
                raise SystemExit("--database-url: only postgresql://... URLs (SQLite is the default)")
            self.admin = server_url.replace("postgresql+psycopg://", "postgresql://", 1)
        self.name = "postgresql" if self.admin else "sqlite"

    def new(self, label: str) -> str:
        if self.admin is None:
            url = f"sqlite:///{self.folder / (label + '.db')}"
        else:
            import psycopg
            name = f"sengketa_bench_{label}_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(self.admin, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            self.made.append(name)
            base = self.admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
            url = f"{base}/{name}"
        migrate.upgrade(url)
        return url

    def drop_all(self) -> None:
        if self.admin is None:
            return
        import psycopg
        with psycopg.connect(self.admin, autocommit=True) as conn:
            for name in self.made:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.made.clear()


def setup_engine(url: str) -> tuple[Engine, object]:
    """Deployed process, one applicant and the supervisor of Tim Layanan (who is notified)."""
    engine = Engine(url, settings={})
    engine.definitions.deploy_file(PROCESS, FORMS)
    ani = engine.identity.add_user("ani", "pemohon", "ani@contoh.go.id", "rahasia-123", "kab-contoh")
    engine.identity.add_user("fajar", "supervisor", "fajar@contoh.go.id", "rahasia-123", lane="tim_layanan")
    return engine, ani


def file_cases(engine: Engine, ani, n: int, deadline: float) -> list[int]:
    letter = {"letter": [Upload("surat.pdf", make_pdf())]}
    ids = []
    for _ in range(n):
        if time.monotonic() > deadline:
            raise SystemExit(f"filing cases took too long ({len(ids)} of {n}); use a smaller --due")
        ids.append(engine.instances.start(ani, request_data(), letter).id)
    return ids


def count_waiting(engine: Engine) -> int:
    with engine.store.transaction() as session:
        return session.scalar(select(func.count()).select_from(Timer).where(Timer.state == "waiting"))


def bulk_waiting(engine: Engine, instance_ids: list[int], upto: int, rng: random.Random) -> float:
    """Tops the waiting timers up to `upto` with rows due 30-365 days ahead; returns seconds taken."""
    missing = upto - count_waiting(engine)
    t0 = time.perf_counter()
    now = utcnow()
    table = Timer.__table__
    while missing > 0:
        size = min(BATCH, missing)
        rows = [{"id": str(uuid.uuid4()), "instance_id": rng.choice(instance_ids), "element_id": "Timer_Periksa",
                 "human_task_id": None, "state": "waiting",
                 "due_at": now + timedelta(days=30, seconds=rng.randrange(335 * 86400))}
                for _ in range(size)]
        with engine.store.sql.begin() as conn:
            conn.execute(insert(table), rows)
        missing -= size
    return time.perf_counter() - t0


# -- (1) idle passes -----------------------------------------------------------------------------
def idle_pass(engine: Engine, cpu: list | None = None) -> float:
    """One idle wake; returns wall seconds, appends this thread's CPU seconds to `cpu` if given."""
    c0, t0 = time.thread_time(), time.perf_counter()
    fired = engine.timers.run_pass(OWNER)
    engine.timers.next_due()
    elapsed = time.perf_counter() - t0
    if cpu is not None:
        cpu.append(time.thread_time() - c0)
    if fired:
        raise SystemExit(f"an idle pass fired {fired} timers: nothing should be due")
    return elapsed


PLAN_QUERIES = {
    # The statements of Timers.next_due and Timers.lease_due, with the parameters inlined.
    "next_due (earliest unleased)": "SELECT due_at FROM timer WHERE state = 'waiting' AND "
                                    "(lease_until IS NULL OR lease_until < {now}) ORDER BY due_at LIMIT 1",
    "next_due (earliest lease)": "SELECT min(lease_until) FROM timer WHERE state = 'waiting' "
                                 "AND lease_until >= {now}",
    "lease_due": "SELECT id FROM timer WHERE state = 'waiting' AND due_at <= {now} AND "
                 "(lease_until IS NULL OR lease_until < {now}) ORDER BY due_at LIMIT 50",
}


def query_plans(engine: Engine) -> dict[str, str]:
    plans = {}
    with engine.store.transaction() as session:
        if engine.store.is_sqlite:
            now = "'" + utcnow().strftime("%Y-%m-%d %H:%M:%S.%f") + "'"
            for label, sql in PLAN_QUERIES.items():
                rows = session.execute(text("EXPLAIN QUERY PLAN " + sql.format(now=now))).all()
                plans[label] = "; ".join(r[-1] for r in rows)
        else:
            now = "now()"
            for label, sql in PLAN_QUERIES.items():
                rows = session.execute(text("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) "
                                            + sql.format(now=now))).all()
                plans[label] = " | ".join(r[0].strip() for r in rows)
    return plans


def measure_idle(small: Engine, large: Engine, passes: int, rounds: int, warmup: int) -> tuple[list, ...]:
    """Passes alternate one by one (small, large, large, small, ...) so the load of the machine at any
    moment touches both alike; split in `rounds` for a look at the drift. Returns wall and CPU seconds
    (CPU of this thread only: on PostgreSQL the server's share is not in it)."""
    a, b, cpu_a, cpu_b = [], [], [], []
    per_round = -(-passes // rounds)
    for _ in range(warmup):
        idle_pass(small)
        idle_pass(large)
    for r in range(rounds):
        gc.collect()
        gc.disable()
        try:
            for i in range(per_round):
                if i % 2 == 0:
                    a.append(idle_pass(small, cpu_a))
                    b.append(idle_pass(large, cpu_b))
                else:
                    b.append(idle_pass(large, cpu_b))
                    a.append(idle_pass(small, cpu_a))
        finally:
            gc.enable()
        print(f"  round {r + 1}/{rounds}: median small {1000 * statistics.median(a[-per_round:]):.3f} ms   "
              f"large {1000 * statistics.median(b[-per_round:]):.3f} ms")
    return a, b, cpu_a, cpu_b


def summarize_idle(a, b, cpu_a, cpu_b, n_s: int, n_l: int) -> dict:
    small, large = 1000 * statistics.median(a), 1000 * statistics.median(b)
    for n, xs, cpu in ((n_s, a, cpu_a), (n_l, b, cpu_b)):
        print(f"  {n:>9,} waiting: median {1000 * statistics.median(xs):.3f} ms   p90 {1000 * pct(xs, 90):.3f} ms   "
              f"min {1000 * min(xs):.3f} ms   CPU median {1000 * statistics.median(cpu):.3f} ms   "
              f"({len(xs)} passes)")
    print(f"  ratio large/small: {large / small:.3f} (wall medians)   "
          f"{statistics.median(cpu_b) / statistics.median(cpu_a):.3f} (CPU medians)")
    return {"small": small, "large": large, "ratio": large / small, "raw": (a, b, cpu_a, cpu_b)}


def hold_statistics(engine: Engine) -> None:
    """PostgreSQL: keep autovacuum from analyzing the scratch timer table behind the bench's back, so
    the 'no statistics' phase really has none; the bench runs ANALYZE itself for the second phase."""
    if not engine.store.is_sqlite:
        with engine.store.sql.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE timer SET (autovacuum_enabled = false)")


def analyze(engine: Engine) -> None:
    with engine.store.sql.begin() as conn:
        conn.exec_driver_sql("ANALYZE timer")


def stats_state(engine: Engine) -> str:
    with engine.store.transaction() as session:
        if engine.store.is_sqlite:
            has = session.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"))
            rows = session.execute(text("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'timer'")).all() if has else []
            return ", ".join(f"{i}: {st}" for i, st in rows) if rows else "none (no sqlite_stat1 rows)"
        row = session.execute(text("SELECT c.reltuples, s.last_analyze, s.last_autoanalyze FROM pg_class c "
                                   "JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.relname = 'timer'")).one()
        when = row.last_analyze or row.last_autoanalyze
        return f"reltuples {row.reltuples:.0f}, analyzed {when.strftime('%H:%M:%S') if when else 'never'}"


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    k = max(min(int(round(p / 100 * len(ordered) + 0.5)) - 1, len(ordered) - 1), 0)
    return ordered[k]


# -- (2) lateness --------------------------------------------------------------------------------
def lateness(url: str, due: int, lead: float, timeout: float, deadline: float) -> dict:
    engine, ani = setup_engine(url)
    try:
        t0 = time.perf_counter()
        file_cases(engine, ani, due, deadline)
        filing = time.perf_counter() - t0
        print(f"  filed {due} cases through the engine in {filing:.1f} s ({1000 * filing / due:.1f} ms/case)")
        waiting = count_waiting(engine)
        if waiting != due:
            raise SystemExit(f"expected one waiting timer per case, found {waiting} for {due} cases")

        # The worker's engine: its own pool and an empty workflow cache, as in the `flask timers` process;
        # the definition is parsed now (a worker that has run for a while has it already).
        worker_engine = Engine(url, settings={})
        with worker_engine.store.command() as tx:
            worker_engine.definitions.latest(tx, PROCESS_KEY)
        worker = Worker(worker_engine.timers, worker_engine.outbox, max_sleep=1.0, name="bench-worker")

        at = utcnow() + timedelta(seconds=lead)
        with engine.store.transaction(write=True) as session:
            session.execute(update(Timer).where(Timer.state == "waiting").values(due_at=at))
        thread = threading.Thread(target=worker.run, name="timer-worker", daemon=True)
        gc.collect()
        thread.start()
        print(f"  all {due} timers due at T = now + {lead:.1f} s; worker started, sleeping until T "
              f"(timer table statistics: {stats_state(engine)})")

        stop_at = time.monotonic() + lead + timeout
        fired = 0
        time.sleep(max(lead - 0.05, 0))
        while time.monotonic() < stop_at:
            time.sleep(0.25)
            with engine.store.transaction() as session:
                fired = session.scalar(select(func.count()).select_from(Timer).where(Timer.state != "waiting"))
            if fired >= due:
                break
        worker.stop()
        thread.join(30)
        if thread.is_alive():
            raise SystemExit("the worker thread did not stop")
        worker_engine.close()

        with engine.store.transaction() as session:
            rows = session.execute(select(Timer.due_at, Timer.fired_at).where(Timer.state == "fired")).all()
            states = dict(session.execute(select(Timer.state, func.count()).group_by(Timer.state)).all())
            escalations = session.scalar(select(func.count()).select_from(Escalation))
            notifications = session.scalar(select(func.count()).select_from(Notification))
            instances = session.scalar(select(func.count()).select_from(Instance))
        late = sorted((f - d).total_seconds() * 1000 for d, f in rows)
        first_fire = min(f for _d, f in rows) if rows else None
        last_fire = max(f for _d, f in rows) if rows else None
        span = (last_fire - first_fire).total_seconds() if rows else 0.0
        return {
            "filing_ms_per_case": 1000 * filing / due,
            "fired": len(rows), "states": states, "escalations": escalations, "notifications": notifications,
            "instances": instances, "complete": len(rows) == due,
            "late": late, "span_s": span,
            # From T to the last fire, so a batch of one counts too (the first fire is T + wake-up).
            "fired_per_s": len(rows) / max(late[-1] / 1000, 1e-6) if rows else 0.0,
        }
    finally:
        engine.close()


# -- main ----------------------------------------------------------------------------------------
@contextmanager
def section(title: str):
    print(f"== {title}")
    t0 = time.perf_counter()
    yield
    print(f"   ({time.perf_counter() - t0:.1f} s)")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timers-small", type=int, default=1000, help="waiting timers, small database")
    parser.add_argument("--timers-large", type=int, default=100_000, help="waiting timers, large database")
    parser.add_argument("--due", type=int, default=1000, help="real cases whose timers fall due at once")
    parser.add_argument("--passes", type=int, default=200, help="idle passes timed per database")
    parser.add_argument("--rounds", type=int, default=8, help="rounds the (pairwise alternating) passes are split in")
    parser.add_argument("--warmup", type=int, default=10, help="untimed idle passes on each database first")
    parser.add_argument("--lead", type=float, default=3.0, help="seconds from the due-time update to T")
    parser.add_argument("--fire-timeout", type=float, default=180.0,
                        help="seconds after T the batch may take to fire before the worker is stopped")
    parser.add_argument("--budget", type=float, default=280.0, help="seconds the whole run may take (about)")
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL server (its maintenance database, e.g. "
                             "postgresql://postgres@127.0.0.1:5432/postgres): scratch databases are made "
                             "there and dropped afterwards. Default: SQLite files in a temporary folder")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if min(args.timers_small, args.due, args.passes, args.rounds) < 1 or args.timers_large < args.timers_small:
        parser.error("sizes must be at least 1 and --timers-large at least --timers-small")
    if args.timers_small < REAL_CASES:
        parser.error(f"--timers-small must be at least {REAL_CASES} (the real cases' own timers)")
    started = time.monotonic()
    deadline = started + args.budget
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory(prefix="sengketa-timers-") as folder:
        backend = Backend(args.database_url, Path(folder))
        print(f"timers bench: Python {platform.python_version()} on {platform.machine()}, {backend.name}; "
              f"idle pass at {args.timers_small:,} vs {args.timers_large:,} waiting timers "
              f"({args.passes} passes each), {args.due:,} timers due at once")
        try:
            with section("setup: two databases, real cases, bulk waiting timers"):
                small, ani_s = setup_engine(backend.new("small"))
                large, ani_l = setup_engine(backend.new("large"))
                hold_statistics(small)
                hold_statistics(large)
                ids_s = file_cases(small, ani_s, REAL_CASES, deadline)
                ids_l = file_cases(large, ani_l, REAL_CASES, deadline)
                t_s = bulk_waiting(small, ids_s, args.timers_small, rng)
                t_l = bulk_waiting(large, ids_l, args.timers_large, rng)
                n_s, n_l = count_waiting(small), count_waiting(large)
                print(f"  waiting timers: small {n_s:,} (inserted in {t_s:.1f} s), "
                      f"large {n_l:,} (inserted in {t_l:.1f} s)")

            idle = {}
            for phase in ("none", "analyzed"):
                if phase == "analyzed":
                    for engine in (small, large):
                        analyze(engine)
                title = {"none": "no planner statistics (as the bulk insert left them)",
                         "analyzed": "after ANALYZE"}[phase]
                with section(f"(1) idle worker pass: run_pass(owner) + next_due(), nothing due; {title}"):
                    print(f"  statistics: small {stats_state(small)}; large {stats_state(large)}")
                    idle[phase] = summarize_idle(*measure_idle(small, large, args.passes, args.rounds, args.warmup),
                                                 n_s, n_l)
                    for n, engine in ((n_s, small), (n_l, large)):
                        print(f"  plans at {n:,} waiting:")
                        for label, plan in query_plans(engine).items():
                            print(f"    {label:<30} {plan}")
            # The state a running deployment is in: PostgreSQL's autovacuum analyzes a growing table;
            # nothing ever runs ANALYZE on SQLite (the engine does not; SQLite has no auto-analyze).
            primary = "analyzed" if backend.name == "postgresql" else "none"
            pass_small, pass_large, ratio = (idle[primary][k] for k in ("small", "large", "ratio"))
            a, b, cpu_a, cpu_b = idle[primary]["raw"]
            print(f"== idle pass, headline ({'after ANALYZE' if primary == 'analyzed' else 'no statistics'}, "
                  f"the steady state on {backend.name}): {pass_small:.3f} ms at {n_s:,}, {pass_large:.3f} ms at "
                  f"{n_l:,}, ratio {ratio:.3f}")
            small.close()
            large.close()

            with section(f"(2) lateness: {args.due:,} real timers due at the same instant, one worker"):
                remaining = deadline - time.monotonic()
                r = lateness(backend.new("due"), args.due, args.lead,
                             min(args.fire_timeout, max(remaining - 10, 10)), deadline)
                late = r["late"]
                if not late:
                    raise SystemExit("no timer fired")
                p50, p99 = pct(late, 50), pct(late, 99)
                print(f"  fired {r['fired']:,} of {args.due:,} (timer states {r['states']}); cases {r['instances']:,}, "
                      f"escalations {r['escalations']:,}, notifications {r['notifications']:,}")
                print(f"  lateness (fired_at - due_at): first {late[0]:.1f} ms   p50 {p50:.1f} ms   "
                      f"p90 {pct(late, 90):.1f} ms   p99 {p99:.1f} ms   last {late[-1]:.1f} ms")
                print(f"  batch fired in {late[-1] / 1000:.2f} s from T ({r['span_s']:.2f} s first to last): "
                      f"{r['fired_per_s']:.1f} timers/s, {1000 / r['fired_per_s']:.1f} ms per timer")
                if not r["complete"]:
                    print(f"  WARNING: only {r['fired']} of {args.due} fired within the timeout")
        finally:
            backend.drop_all()

    print(f"total {time.monotonic() - started:.1f} s")
    print(json.dumps({
        "pass_ms_1k": round(pass_small, 3), "pass_ms_100k": round(pass_large, 3), "ratio": round(ratio, 3),
        "late_p50_ms": round(p50, 3), "late_p99_ms": round(p99, 3),
        "late_first_ms": round(late[0], 3), "late_last_ms": round(late[-1], 3),
        "fired_per_s": round(r["fired_per_s"], 3), "fired": r["fired"], "due": args.due,
        "pass_p90_ms_1k": round(1000 * pct(a, 90), 3), "pass_p90_ms_100k": round(1000 * pct(b, 90), 3),
        "pass_cpu_ms_1k": round(1000 * statistics.median(cpu_a), 3),
        "pass_cpu_ms_100k": round(1000 * statistics.median(cpu_b), 3),
        "waiting_small": n_s, "waiting_large": n_l, "filing_ms_per_case": round(r["filing_ms_per_case"], 3),
        "backend": backend.name, "headline_statistics": primary,
        **{f"{key}_{phase}": round(idle[phase][field], 3) for phase in ("none", "analyzed")
           for key, field in (("pass_ms_1k", "small"), ("pass_ms_100k", "large"), ("ratio", "ratio"))},
    }))


if __name__ == "__main__":
    main()
