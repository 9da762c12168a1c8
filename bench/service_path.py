"""How much of SpiffWorkflow's own speed survives the service path.

(a) the in-memory ceiling: SpiffWorkflow alone runs `process/sengketa.bpmn` start to end along the
    main path (lengkap -> diteruskan -> PANDI -> answer -> receipt), no persistence, no validation;
(b) the service path: the same cases through `engine/` on a fresh, Alembic-migrated SQLite file:
    start (with a PDF letter), then claim / complete every task (each command returns the tasks it made
    ready, as the API does), forms checked by jsonschema.

Both are warmed up, then measured `--repeat` times, interleaved (a, b, a, b, ...) so machine noise
touches both; the best of each is reported. The last line printed is one JSON object:
{"ceiling_cases_per_s": .., "service_cases_per_s": .., "ratio": ..}.

    PYTHONPATH=. .venv/bin/python bench/service_path.py [--cases N] [--cases-ceiling N] [--repeat R]
                                                        [--warmup N] [--profile [--profile-cases N]]
                                                        [--what-if dump,validation]

Defaults (50 service cases, 200 in-memory, best of 3) take well under 90 s on a 2-core machine.
`--profile` additionally runs the service path under cProfile (after the measurement) and prints the
top 25 functions by cumulative time, the self time grouped by component (SQLAlchemy, sqlite3, Spiff,
JSON, jsonschema, scrypt, ...), and then, without a profiler's distortion, the wall time per layer.
Nothing in engine/ is changed: the layer timing wraps its functions for that one run only.
`--what-if dump,validation` then measures the ratio again with those layers replaced by stand-ins that do
nothing, alone and together: how much of the gap each is (analysis only; the JSON line is not affected).
`--what-if cache` shows the cold path: every command restores its workflow from the stored state, as one
does when the previous command on its case ran in another gunicorn worker.
"""
from __future__ import annotations

import argparse
import copy
import cProfile
import gc
import io
import json
import pstats
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from SpiffWorkflow.bpmn import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402

from engine import Engine, migrate  # noqa: E402
from engine import bpmn as engine_bpmn  # noqa: E402
from engine.forms import Upload  # noqa: E402

PROCESS = ROOT / "process" / "sengketa.bpmn"
FORMS = ROOT / "forms"
PROCESS_KEY = "sengketa_domain"

# -- valid form data (one example per form, main path) -------------------------------------------
PERMOHONAN = {
    "agency": {
        "name": "Pemerintah Kabupaten Contoh",
        "level": "kabupaten",
        "parent": "Pemerintah Provinsi Contoh",
        "address": "Jl. Merdeka No. 1, Contoh, Provinsi Contoh 12345",
    },
    "contact": {
        "name": "Budi Santoso",
        "nip": "198609262015051001",
        "position": "Kepala Bidang Aplikasi Informatika",
        "email": "budi.santoso@contohkab.go.id",
        "mobile": "081234567890",
    },
    "domain": {
        "name": "contoh.go.id",
        "current_holder": "Pemerintah Kota Contoh",
        "held_domain": "contohkab.go.id",
    },
    "dispute": {
        "category": "nama_sama",
        "description": "Domain contoh.go.id didaftarkan oleh Pemerintah Kota Contoh, padahal nama Contoh "
                       "juga nama kabupaten kami.",
        "requested_outcome": "pengalihan",
    },
    "letter": {
        "number": "B-99/IJ/KP.07.6/04/2020",
        "date": "2020-04-15",
        "subject": "Permohonan Penyelesaian Sengketa Nama Domain",
        "attachments_count": 2,
        "addressee": "Direktur Jenderal Aplikasi Informatika",
        "signatory": {
            "name": "Siti Rahayu",
            "position": "Sekretaris Daerah",
            "nip": "197001011995032002",
        },
    },
}

# user task -> (data object its form fills, valid data for that form)
TASK_DATA = {
    "Task_PeriksaPermohonan": ("complaint", {
        "decision": "lengkap",
        "summary": "Sengketa nama sama antara Kabupaten Contoh dan Kota Contoh atas contoh.go.id.",
        "letter_valid": True,
    }),
    "Task_Analisa": ("analysis_decision", {
        "decision": "diteruskan",
        "recommended_action": "pengalihan",
        "rationale": "Domain contoh.go.id tidak digunakan pemegangnya dan pemohon memiliki dasar hukum "
                     "yang sah.",
        "legal_basis": "Peraturan Menteri tentang Registrasi Nama Domain Instansi Penyelenggara Negara",
    }),
    "Task_PenyelesaianPandi": ("pandi_confirmation", {
        "action_taken": "pengalihan",
        "executed_on": "2020-04-20",
        "reference": "PANDI-12345",
        "notes": "Domain telah dialihkan kepada Pemerintah Kabupaten Contoh.",
    }),
    "Task_JawabPemohon": ("applicant_answer", {
        "outcome": "pengalihan",
        "answer": "Domain contoh.go.id telah dialihkan kepada instansi Saudara per 20 April 2020.",
        "letter_number": "B-120/DJAI/KP.07.6/04/2020",
    }),
    "Task_TerimaJawaban": ("receipt", {
        "received": True,
        "notes": "Terima kasih.",
    }),
}
MAIN_PATH = tuple(TASK_DATA)  # the order the tasks come up in

# A small but well-formed PDF: starts with %PDF-, has numbered objects, ends with startxref and %%EOF
# (what engine.forms.sniff checks).
LETTER_PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
              b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n" + b"%" + b"x" * 2000 + b"\n"
              b"trailer << /Root 1 0 R >>\nstartxref\n0\n%%EOF\n")


# -- (a) SpiffWorkflow alone ---------------------------------------------------------------------
def load_spec():
    """Parsed the way the engine parses a deployed version (timer literals quoted first)."""
    tree = engine_bpmn.parse_xml(PROCESS.read_bytes())
    problems = engine_bpmn.quote_timer_literals(tree)
    if problems:
        raise SystemExit(f"timer literals: {problems}")
    return engine_bpmn.parse_specs(tree, PROCESS_KEY)


def ceiling_case(spec, subprocess_specs) -> list[str]:
    wf = BpmnWorkflow(spec, subprocess_specs)
    wf.data_objects["permohonan"] = PERMOHONAN
    wf.do_engine_steps()
    done = []
    while not wf.is_completed():
        ready = wf.get_tasks(state=TaskState.READY, manual=True)
        if not ready:
            raise RuntimeError(f"in-memory case stuck after {done}")
        for task in ready:
            output, data = TASK_DATA[task.task_spec.bpmn_id]
            task.data[output] = data
            task.run()
            done.append(task.task_spec.bpmn_id)
        wf.do_engine_steps()
    return done


def run_ceiling(spec, subprocess_specs, cases: int) -> tuple[float, float]:
    """Seconds for `cases` cases: (wall clock, CPU time of this process)."""
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(cases):
        ceiling_case(spec, subprocess_specs)
    return time.perf_counter() - t0, time.process_time() - c0


# -- (b) the service path ------------------------------------------------------------------------
class Service:
    """A fresh SQLite file, migrated with Alembic, the process deployed, one user per lane."""

    def __init__(self, folder: Path):
        self.url = f"sqlite:///{folder / 'bench.db'}"
        migrate.upgrade(self.url)
        self.engine = Engine(self.url)
        self.engine.definitions.deploy_file(PROCESS, FORMS)
        identity = self.engine.identity
        self.actors = {
            "pemohon": identity.add_user("pemohon1", "pemohon", "pemohon1@contohkab.go.id", "rahasia-pemohon",
                                         "kab-contoh"),
            "tim_layanan": identity.add_user("layanan1", "tim_layanan", "layanan1@kominfo.go.id",
                                             "rahasia-layanan"),
            "pandi": identity.add_user("pandi1", "pandi", "pandi1@pandi.id", "rahasia-pandi"),
        }
        self.timings = defaultdict(float)  # operation -> seconds, of the last measured run

    @staticmethod
    def inputs() -> tuple[dict, dict]:
        """A case's form data as a request would bring it: fresh objects, made before the clock runs
        (the in-memory ceiling gets its data for free too)."""
        return copy.deepcopy(PERMOHONAN), {k: copy.deepcopy(v[1]) for k, v in TASK_DATA.items()}

    def case(self, timed: dict | None = None, inputs: tuple[dict, dict] | None = None) -> tuple[int, list[str]]:
        """One case start to end; returns its id and the user tasks completed, in order."""
        clock = time.perf_counter
        e, actors = self.engine, self.actors
        request, answers = inputs or self.inputs()
        t = clock()
        summary = e.instances.start(actors["pemohon"], request,
                                    {"letter": [Upload("surat-permohonan.pdf", LETTER_PDF)]})
        if timed is not None:
            timed["start"] += clock() - t
        done = []
        # Each command answers with the tasks it made ready, as the API does (`open_tasks`, `next_tasks`),
        # so a client needs no worklist query to go on.
        pending = list(summary.open_tasks)
        while pending:
            row = pending.pop(0)
            actor = actors[row.lane]
            t = clock()
            e.tasks.claim(actor, row.id)
            if timed is not None:
                timed["claim"] += clock() - t
            t = clock()
            result = e.tasks.complete(actor, row.id, answers[row.element_id])
            if timed is not None:
                timed["complete"] += clock() - t
            pending.extend(result.next_tasks)
            done.append(row.element_id)
        return summary.id, done

    def run(self, cases: int) -> tuple[float, float]:
        """Seconds for `cases` cases: (wall clock, CPU time of this process)."""
        timed = defaultdict(float)
        inputs = [self.inputs() for _ in range(cases)]
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        for case_inputs in inputs:
            self.case(timed, case_inputs)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        self.timings = timed
        return elapsed, cpu

    def check(self) -> None:
        """Outside any timing: a case really ends, along the main path."""
        case_id, done = self.case()
        view = self.engine.instances.get(self.actors["tim_layanan"], case_id)
        if view.status != "completed" or tuple(done) != MAIN_PATH:
            raise SystemExit(f"service case {case_id} did not run the main path: {view.status} {done}")

    def close(self) -> None:
        self.engine.close()


# -- profile -------------------------------------------------------------------------------------
COMPONENTS = (  # first match wins; matched against the file of the function (or the builtin's name)
    ("scrypt (hashlib)", ("scrypt",)),
    ("sqlite3 C calls (execute/commit/fetch)", ("sqlite3.", "'execute' of", "'commit' of", "'fetchone'",
                                                "'fetchall'", "'fetchmany'", "'close' of 'sqlite3")),
    ("SQLAlchemy (ORM/Core/compile)", ("/sqlalchemy/",)),
    ("json encode/decode", ("/json/", "json.encoder", "json.decoder", "_json.")),
    ("SpiffWorkflow serializer", ("/SpiffWorkflow/bpmn/serializer/", "/SpiffWorkflow/serializer/")),
    ("SpiffWorkflow engine", ("/SpiffWorkflow/",)),
    ("jsonschema (+referencing, regex)", ("/jsonschema/", "/referencing/", "/jsonschema_specifications/",
                                          "/rpds", "'re.", "_sre", "/re/")),
    ("engine/ (this product)", ("/engine/",)),
    ("copy/deepcopy", ("/copy.py",)),
    ("uuid", ("/uuid.py",)),
    ("datetime/dateutil", ("datetime", "/dateutil/")),
)


def _component(filename: str, funcname: str) -> str:
    key = f"{filename}:{funcname}"
    for name, needles in COMPONENTS:
        if any(n in key for n in needles):
            return name
    return "other (stdlib, builtins, threading, ...)"


def profile_service(service: Service, cases: int) -> None:
    profiler = cProfile.Profile()
    gc.collect()
    t0 = time.perf_counter()
    profiler.enable()
    for _ in range(cases):
        service.case()
    profiler.disable()
    elapsed = time.perf_counter() - t0
    print()
    print(f"== cProfile of the service path: {cases} cases in {elapsed:.2f} s under the profiler "
          f"({cases / elapsed:.1f} cases/s, profiler overhead included)")
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(25)
    print(out.getvalue().rstrip())

    # Self time grouped by component: where the time is spent, exclusively.
    total = 0.0
    groups = defaultdict(float, {name: 0.0 for name, _needles in COMPONENTS})  # zeros show too (scrypt)
    for (filename, _line, funcname), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        groups[_component(filename, funcname)] += tottime
        total += tottime
    print()
    print("== self time by component (exclusive, sums to 100%)")
    for name, seconds in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<42} {seconds:7.3f} s  {100 * seconds / total:5.1f}%  "
              f"{1000 * seconds / cases:6.2f} ms/case")

    # Inclusive time of the product's own steps (these overlap each other; per case).
    print()
    print("== inclusive time of selected functions (ms/case; overlapping)")
    wanted = (
        ("engine/instances.py", "start"), ("engine/tasks.py", "complete"), ("engine/tasks.py", "claim"),
        ("engine/tasks.py", "list"), ("engine/execution.py", "save"), ("engine/state.py", "dump"),
        ("engine/state.py", "load"), ("engine/execution.py", "_sync_tasks"),
        ("engine/execution.py", "_sync_timers"), ("engine/forms.py", "validate_data"),
        ("engine/forms.py", "validate_files"), ("engine/store.py", "transaction"),
        ("engine/tasks.py", "_task_for"), ("engine/tasks.py", "_row"),
        ("engine/definitions.py", "latest"), ("engine/definitions.py", "get"),
        ("json/__init__.py", "dumps"), ("SpiffWorkflow/bpmn/workflow.py", "do_engine_steps"),
        ("SpiffWorkflow/task.py", "run"), ("sqlalchemy/orm/session.py", "commit"),
        ("sqlalchemy/orm/session.py", "flush"), ("sqlalchemy/orm/session.py", "execute"),
        ("sqlalchemy/orm/session.py", "refresh"),
    )
    found = []
    for (filename, line, funcname), (_cc, ncalls, _tt, cumtime, _callers) in stats.stats.items():
        for suffix, name in wanted:
            if filename.endswith(suffix) and funcname == name:
                found.append((cumtime, f"{suffix}:{line}({name})", ncalls))
    for cumtime, where, ncalls in sorted(found, reverse=True):
        print(f"  {where:<52} {1000 * cumtime / cases:7.2f} ms/case  ({ncalls / cases:5.1f} calls/case)")


class _Layers:
    """Exclusive wall time per layer, by wrapping the layer boundaries (much lighter than cProfile)."""

    BASE = "engine/ glue, pool, ORM (the rest)"

    def __init__(self):
        self.acc = defaultdict(float)
        self.stack = []
        self.last = 0.0
        self.counts = defaultdict(int)

    def enter(self, label):
        now = time.perf_counter()
        if self.stack:
            self.acc[self.stack[-1]] += now - self.last
        self.stack.append(label)
        self.last = now

    def exit(self):
        now = time.perf_counter()
        self.acc[self.stack.pop()] += now - self.last
        self.last = now

    def wrap(self, owner, name, label):
        """Times a class's own function as `label`; returns what restores it."""
        original = owner.__dict__[name]
        setattr(owner, name, _layered(self, original, label))
        return owner, name, original


def layer_breakdown(service: Service, cases: int) -> None:
    """Where the service path's wall time goes, per layer, without a profiler's distortion."""
    import engine.execution
    import engine.forms
    import engine.state
    from SpiffWorkflow.task import Task
    from SpiffWorkflow.workflow import Workflow

    from engine.store import Tx

    layers = _Layers()
    spiff, dump, schema = ("SpiffWorkflow (run, engine steps, get_tasks)", "state.dump (Spiff to_dict + json)",
                           "jsonschema (forms.validate_data)")
    statements, commit = "SQL statements (bind + execute + fetch)", "BEGIN / COMMIT (SQLite writes the WAL)"
    patched = [
        layers.wrap(engine.execution.Execution, "new_workflow", spiff),
        layers.wrap(BpmnWorkflow, "do_engine_steps", spiff),
        layers.wrap(Workflow, "get_tasks", spiff),
        layers.wrap(Task, "run", spiff),
    ]
    for module, name, label in ((engine.state, "dump", dump), (engine.forms, "validate_data", schema),
                                (engine.forms, "validate_files", "file checks (forms.validate_files)")):
        original = getattr(module, name)
        setattr(module, name, _layered(layers, original, label))
        patched.append((module, name, original))
    # The commands' statements run on the DBAPI cursor through engine.store.Tx: time them there.
    for name in ("run", "many", "first", "scalar"):
        original = Tx.__dict__[name]

        def counted(*args, _original=original, **kwargs):
            layers.counts["statements"] += 1
            return _original(*args, **kwargs)
        setattr(Tx, name, _layered(layers, counted, statements))
        patched.append((Tx, name, original))
    for name in ("_begin", "_commit", "_rollback"):
        patched.append(layers.wrap(Tx, name, commit))
    try:
        gc.collect()
        t0 = time.perf_counter()
        for case_inputs in [service.inputs() for _ in range(cases)]:
            layers.enter(layers.BASE)
            service.case(None, case_inputs)
            layers.exit()
        elapsed = time.perf_counter() - t0
    finally:
        for owner, name, original in reversed(patched):
            setattr(owner, name, original)
    print()
    print(f"== wall time by layer, no profiler: {cases} cases in {elapsed:.2f} s "
          f"({cases / elapsed:.1f} cases/s, {1000 * elapsed / cases:.2f} ms/case; "
          f"{layers.counts['statements'] / cases:.0f} SQL statements/case besides BEGIN and COMMIT)")
    for label, seconds in sorted(layers.acc.items(), key=lambda kv: -kv[1]):
        print(f"  {label:<48} {1000 * seconds / cases:7.2f} ms/case  {100 * seconds / elapsed:5.1f}%")


def _layered(layers, function, label):
    def wrapper(*args, **kwargs):
        layers.enter(label)
        try:
            return function(*args, **kwargs)
        finally:
            layers.exit()
    return wrapper


# -- what if ------------------------------------------------------------------------------------
WHAT_IF = {  # layer -> (module, attribute, stand-in that does nothing)
    "dump": ("engine.state", "dump", lambda workflow: "{}"),
    "validation": ("engine.forms", "validate_data", lambda schema, data: None),
    # every command restores its workflow from the stored state, as one landing on another worker does
    "cache": ("engine.state", "WorkflowCache.take", lambda self, instance_id, revision: None),
}


def what_if(service: Service, spec, subprocess_specs, args) -> None:
    """The ratio with layers replaced by stand-ins that do nothing, alone and together: how much of the gap
    each one is. Not a service any more (a stubbed dump saves nothing restorable): analysis only, after the
    measurement, in this process only."""
    import importlib
    print()
    print("== what if (analysis only: the stubbed layers do nothing, so this is not a working service)")
    for layers in [[name] for name in args.what_if] + ([args.what_if] if len(args.what_if) > 1 else []):
        patched = []
        try:
            for name in layers:
                module_name, path, stand_in = WHAT_IF[name]
                owner = importlib.import_module(module_name)
                *outer, function = path.split(".")
                for part in outer:
                    owner = getattr(owner, part)
                patched.append((owner, function, getattr(owner, function)))
                setattr(owner, function, stand_in)
            ratios = []
            for _ in range(args.repeat):
                wall_a, _cpu = run_ceiling(spec, subprocess_specs, args.cases_ceiling)
                wall_b, _cpu = service.run(args.cases)
                ratios.append((args.cases / wall_b) / (args.cases_ceiling / wall_a))
                last_b = 1000 * wall_b / args.cases
        finally:
            for module, function, original in reversed(patched):
                setattr(module, function, original)
        print(f"  without {' + '.join(layers):22s} ratio median {statistics.median(ratios):.3f} "
              f"(range {min(ratios):.3f}-{max(ratios):.3f}; service {last_b:.2f} ms/case in the last round)")


# -- main ----------------------------------------------------------------------------------------
def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=50,
                        help="cases per service-path measurement (b); (a) runs 4x as many unless --cases-ceiling")
    parser.add_argument("--cases-ceiling", type=int, default=None,
                        help="cases per in-memory measurement (a) (default 4 x --cases, i.e. 200)")
    parser.add_argument("--repeat", type=int, default=3, help="measurements of each, interleaved; best kept")
    parser.add_argument("--warmup", type=int, default=10, help="warm-up cases of each before timing")
    parser.add_argument("--profile", action="store_true",
                        help="also run the service path under cProfile and print where its time goes")
    parser.add_argument("--profile-cases", type=int, default=30, help="cases to run under --profile")
    parser.add_argument("--what-if", type=lambda text: list(dict.fromkeys(t for t in text.split(",") if t)), default=[],
                        metavar="LAYERS", help="also measure the ratio with these layers doing nothing, alone and "
                                               f"together (analysis only); any of: {', '.join(WHAT_IF)}")
    args = parser.parse_args(argv)
    if args.cases_ceiling is None:
        args.cases_ceiling = 4 * args.cases
    if min(args.cases, args.cases_ceiling, args.repeat) < 1 or args.warmup < 0:
        parser.error("--cases, --cases-ceiling and --repeat must be at least 1")
    unknown = sorted(set(args.what_if) - set(WHAT_IF))
    if unknown:
        parser.error(f"--what-if: unknown layer(s) {', '.join(unknown)}; known: {', '.join(WHAT_IF)}")
    if {"cache", "dump"} <= set(args.what_if):
        parser.error("--what-if: cache and dump cannot go together (a stubbed dump leaves nothing to restore)")

    import platform
    print(f"service_path bench: Python {platform.python_version()} on {platform.machine()}, "
          f"{args.cases_ceiling} in-memory / {args.cases} service cases, best of {args.repeat}")

    spec, subprocess_specs = load_spec()
    path = ceiling_case(spec, subprocess_specs)
    if tuple(path) != MAIN_PATH:
        raise SystemExit(f"in-memory case did not run the main path: {path}")

    with tempfile.TemporaryDirectory(prefix="sengketa-bench-") as folder:
        t = time.perf_counter()
        service = Service(Path(folder))
        print(f"setup (migrate, deploy, 3 users with scrypt; untimed): {time.perf_counter() - t:.2f} s")
        try:
            service.check()
            for _ in range(args.warmup):
                ceiling_case(spec, subprocess_specs)
                service.case()

            ceiling, served, ceiling_cpu, served_cpu, best_timings = [], [], [], [], None
            for r in range(args.repeat):
                wall_a, cpu_a = run_ceiling(spec, subprocess_specs, args.cases_ceiling)
                wall_b, cpu_b = service.run(args.cases)
                a, b = args.cases_ceiling / wall_a, args.cases / wall_b
                ceiling.append(a)
                served.append(b)
                ceiling_cpu.append(args.cases_ceiling / cpu_a)
                served_cpu.append(args.cases / cpu_b)
                if b >= max(served):
                    best_timings = dict(service.timings)
                print(f"  run {r + 1}: (a) in-memory {a:8.1f} cases/s   (b) service {b:7.1f} cases/s   "
                      f"ratio {b / a:.3f}   [per CPU-second: {ceiling_cpu[-1]:.1f} / {served_cpu[-1]:.1f}]")

            best_a, best_b = max(ceiling), max(served)
            print(f"(a) in-memory ceiling: {best_a:.1f} cases/s ({1000 / best_a:.2f} ms/case)")
            print(f"(b) service path     : {best_b:.1f} cases/s ({1000 / best_b:.2f} ms/case)")
            print(f"ratio (b)/(a)        : {best_b / best_a:.3f}   (wall clock, best of {args.repeat}; "
                  f"by CPU time: {max(served_cpu) / max(ceiling_cpu):.3f})")
            paired = sorted(b / a for a, b in zip(ceiling, served))
            print(f"ratio within each run : median {statistics.median(paired):.3f}, range {paired[0]:.3f}-"
                  f"{paired[-1]:.3f} (a and b measured back to back: less exposed to the machine's drift)")
            if best_timings:
                per = {k: 1000 * v / args.cases for k, v in best_timings.items()}
                spent = "  ".join(f"{k} {v:.2f}" for k, v in per.items())
                print(f"service ms/case by command (best run; 1 start, 5 claim, 5 complete): {spent}")

            if args.profile:
                profile_service(service, args.profile_cases)
                layer_breakdown(service, args.profile_cases)
            if args.what_if:
                what_if(service, spec, subprocess_specs, args)
        finally:
            service.close()

    print(json.dumps({"ceiling_cases_per_s": round(best_a, 3), "service_cases_per_s": round(best_b, 3),
                      "ratio": round(best_b / best_a, 3)}))


if __name__ == "__main__":
    main()
