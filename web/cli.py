"""Operators' commands: `flask --app wsgi db upgrade | deploy | users add | change | password | token | demo`."""
from __future__ import annotations

import functools
import logging
from contextlib import contextmanager
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from engine import PROCESS_KEY, migrate
from engine.errors import Conflict, EngineError

from .context import engine
from .demo import file_cases

db = AppGroup("db", help="Skema basis data (migrasi Alembic).")
users = AppGroup("users", help="Pengguna dan token API.")
agencies = AppGroup("agencies", help="Instansi: daftar dan namanya.")

DEMO_AGENCIES = [
    ("kab-contoh", "Pemerintah Kabupaten Contoh"),
    ("kota-contoh", "Pemerintah Kota Contoh"),
    ("desa-sukamaju", "Pemerintah Desa Sukamaju"),
]
DEMO_PASSWORD = "sengketa-demo"
DEMO_USERS = [  # username, role, agency, lane, full name
    ("pemohon", "pemohon", "kab-contoh", None, "Budi Santoso"),
    ("pemohon2", "pemohon", "kota-contoh", None, "Rina Kartika"),
    ("layanan", "tim_layanan", None, None, "Citra Lestari"),
    ("layanan2", "tim_layanan", None, None, "Dodi Prasetyo"),
    ("pandi", "pandi", None, None, "Eka Wijaya"),
    ("supervisor", "supervisor", None, "tim_layanan", "Fajar Nugroho"),
    ("supervisor-pandi", "supervisor", None, "pandi", "Gita Maharani"),
    ("pemilik", "process_owner", None, None, "Hendra Gunawan"),
    ("admin", "admin", None, None, "Intan Permata"),
]


class Refused(click.ClickException):
    """A command refused, said in Indonesian from its first word (click's own prefix is "Error:")."""

    def show(self, file=None) -> None:
        click.echo(f"Galat: {self.format_message()}", err=True, file=file)


def _fail(exc: EngineError, options: dict[str, str] | None = None):
    """Exits with the error and one line per problem, named as the command line names it (`options`)."""
    options = options or {}
    named = [(options.get(e.get('field'), e.get('element') or e.get('field') or ''), e["message"]) for e in exc.errors]
    if len(named) == 1 and named[0][1] == exc.message:  # the problem is the headline: said once, with its place
        raise Refused(f"{exc.message} ({named[0][0]})" if named[0][0] else exc.message)
    details = "".join(f"\n  - {where}: {message}" for where, message in named)
    raise Refused(exc.message + details)


def _a_number(value: float) -> float:
    if value != value:  # NaN passes every range check
        raise click.BadParameter("harus berupa angka.")
    return value


def needs_schema(command):
    """A command that reads or writes the database says what to do on one that is not migrated to this
    release's schema, instead of failing on 'no such table'."""
    @functools.wraps(command)
    def checked(*args, **kwargs):
        _audit_to_stderr()
        with _reachable():
            at, newest = migrate.current(current_app.config["DATABASE_URL"]), migrate.head()
        if at != newest:
            raise Refused(
                f"Skema basis data belum siap (revisi {at or 'kosong'}; rilis ini memerlukan {newest}): "
                "jalankan `flask --app wsgi db upgrade` dahulu.")
        return command(*args, **kwargs)
    return checked


def _audit_to_stderr() -> None:
    """Who changed which account from the command line reaches stderr, as the web's reaches gunicorn's log
    (unconfigured, the audit's INFO lines were dropped). Left alone where logging is set up already."""
    audit = logging.getLogger("sengketa.audit")
    if not logging.getLogger().handlers and not audit.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
        audit.addHandler(handler)
        audit.setLevel(logging.INFO)
        audit.propagate = False  # the timer worker's own logging setup would print each line twice


@contextmanager
def _reachable():
    """A database that cannot be opened (no server, no such folder, refused login) is said in a line."""
    try:
        yield
    except OperationalError as exc:
        where = make_url(current_app.config["DATABASE_URL"]).render_as_string(hide_password=True)
        raise Refused(f"Basis data {where} tidak dapat dibuka: {str(exc.orig).strip()}") from None


@db.command("upgrade")
def db_upgrade():
    """Migrates the schema to the newest revision."""
    with _reachable():
        try:
            migrate.upgrade(current_app.config["DATABASE_URL"])
        except migrate.BrokenReferences as exc:
            raise Refused(f"Migrasi dibatalkan; tidak ada yang diubah: {len(exc.rows)} baris merujuk ke baris yang "
                          f"tidak ada ({', '.join(exc.tables())}). Perbaiki atau hapus baris itu, lalu ulangi.") \
                from None
    click.echo("Skema basis data mutakhir.")


@click.command("deploy")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--forms", "forms_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder formulir (bawaan: forms/ di samping folder diagram).")
@needs_schema
def deploy(path: Path, forms_dir: Path | None):
    """Deploys a BPMN diagram with the forms it references as a new version."""
    forms_dir = forms_dir or path.resolve().parent.parent / "forms"
    try:
        info = engine().definitions.deploy_file(path, forms_dir, process_key=PROCESS_KEY)
    except EngineError as exc:
        _fail(exc)
    verb = "dipasang sebagai" if info.created else "tidak berubah; tetap"
    click.echo(f"{info.name} ({info.process_key}) {verb} versi {info.version}.")


@users.command("add")
@click.argument("username")
@click.option("--role", required=True, help="pemohon, tim_layanan, pandi, supervisor, process_owner, admin")
@click.option("--email", required=True)
# asked (hidden, twice) when not given: a password on the command line stays in ps and the shell's history
@click.option("--password", envvar="SENGKETA_PASSWORD", help="Ditanyakan bila tidak diberikan (atau SENGKETA_PASSWORD).")
@click.option("--agency", help="Kode instansi (dibuat bila belum ada).")
@click.option("--lane", help="Wajib untuk supervisor: lajur yang diawasi (tim_layanan atau pandi).")
@click.option("--name", "full_name", help="Nama lengkap, ditampilkan di daftar kerja dan riwayat kasus.")
@needs_schema
def users_add(username, role, email, password, agency, lane, full_name):
    """Adds a user."""
    if password is None:
        password = _ask_twice("Kata sandi", "Ulangi kata sandi")
    new_agency = engine().identity.is_new_agency(agency)
    try:
        added = engine().identity.add_user(username, role, email, password, agency, lane, full_name=full_name)
    except EngineError as exc:
        _fail(exc, {"username": "USERNAME", "full_name": "--name",
                    **{o: f"--{o}" for o in ("role", "email", "password", "agency", "lane")}})
    click.echo(f"Pengguna {added.username} ({added.role}) ditambahkan.")
    if new_agency:  # a mistyped code would part the officer from their agency's cases
        click.echo(f"Instansi baru {agency} dibuat (belum ada sebelumnya); beri namanya dengan "
                   f"`flask --app wsgi agencies rename {agency} NAMA`, atau periksa kodenya bila salah ketik.")


@users.command("change")
@click.argument("username")
@click.option("--role", help="Peran baru (instansi dan lajur yang tidak berlaku lagi dikosongkan).")
@click.option("--email")
@click.option("--agency", help="Kode instansi (dibuat bila belum ada), untuk petugas instansi.")
@click.option("--lane", help="Untuk supervisor: lajur yang diawasi.")
@click.option("--name", "full_name", help="Nama lengkap (\"\" menghapusnya).")
@needs_schema
def users_change(username, role, email, agency, lane, full_name):
    """Corrects a user's role, e-mail, agency or lane; what is not given stays."""
    if all(v is None for v in (role, email, agency, lane, full_name)):
        raise click.UsageError("Tidak ada yang diubah: sebutkan --role, --email, --agency, --lane atau --name.")
    identity = engine().identity
    found = identity.accounts(None, username)
    if not found:
        raise Refused(f"Pengguna {username} tidak ditemukan.")
    now = found[0]
    role = role or now.role
    if agency is None:
        agency = now.agency_code if role == "pemohon" else None
    if lane is None:
        lane = now.lane if role == "supervisor" else None
    try:
        released = identity.change_user(None, username, role, now.email if email is None else email, agency or None,
                                        lane or None,
                                        **({} if full_name is None else {"full_name": full_name}))
    except EngineError as exc:
        _fail(exc, {"full_name": "--name", **{o: f"--{o}" for o in ("role", "email", "agency", "lane")}})
    back = f"; {released} tugas yang dipegangnya kembali ke antrian" if released else ""
    click.echo(f"Pengguna {username} diubah{back}.")


@users.command("password")
@click.argument("username")
# asked (hidden, twice) when not given, as for `users add`: on the command line it stays in ps and history
@click.option("--password", help="Ditanyakan bila tidak diberikan.")
@needs_schema
def users_password(username, password):
    """Sets a new password, as an administrator's reset on the Pengguna page does: the user's logins end and
    their API tokens are revoked."""
    try:
        engine().identity.by_username(username)  # before asking: a mistyped name is said before any typing
        if password is None:
            password = _ask_twice("Kata sandi baru", "Ulangi kata sandi baru")
        revoked = engine().identity.reset_password(None, username, password)
    except EngineError as exc:
        _fail(exc, {"password": "--password"})
    tokens = f" {revoked} token API-nya dicabut." if revoked else ""
    click.echo(f"Kata sandi {username} diganti; berikan kepadanya melalui jalur aman. Sesi masuknya berakhir.{tokens}")


def _ask_twice(first: str, again: str) -> str:
    """A hidden value typed twice, its refusals in Indonesian (click's own are English: "Aborted!")."""
    try:
        value = click.prompt(first, hide_input=True)
        if click.prompt(again, hide_input=True) != value:
            raise Refused("Kedua isian tidak sama; tidak ada yang diubah.")
    except click.Abort:
        raise Refused("Dibatalkan; tidak ada yang diubah.") from None
    return value


@users.command("token")
@click.argument("username")
@click.option("--days", type=int, default=None,
              help="Token berakhir sendiri setelah sekian hari (tanpa opsi ini: sampai dicabut).")
@click.option("--label", default=None, help="Yang memakai token ini, mis. 'aplikasi persuratan instansi'.")
@needs_schema
def users_token(username, days, label):
    """Prints a new API token (last line); only its hash is stored."""
    try:
        token = engine().tokens.new(username, days=days, label=label)
    except EngineError as exc:
        _fail(exc, {"days": "--days", "label": "--label"})
    lasts = f"berlaku {days} hari" if days else "berlaku sampai dicabut"
    click.echo(f"Token API baru untuk {username}, {lasts} (simpan sekarang; tidak dapat ditampilkan lagi):")
    click.echo(token)


@click.command("demo")
@with_appcontext
@click.option("--no-cases", is_flag=True, help="Pengguna dan instansi saja, tanpa kasus contoh.")
@needs_schema
def demo(no_cases: bool):
    """Creates demo agencies, one user per role (password: sengketa-demo) and, in a database without cases,
    four example cases at different steps of the SOP."""
    for code, name in DEMO_AGENCIES:
        engine().identity.ensure_agency(code, name)
    for username, role, agency, lane, full_name in DEMO_USERS:
        try:
            engine().identity.add_user(username, role, f"{username}@contoh.go.id", DEMO_PASSWORD, agency, lane,
                                       full_name=full_name)
            click.echo(f"  {username:18} {role}")
        except Conflict:
            click.echo(f"  {username:18} {role} (sudah ada)")
    click.echo(f"Pengguna demo siap; kata sandi semuanya: {DEMO_PASSWORD}")
    if no_cases:
        return
    if not any(d.process_key == PROCESS_KEY for d in engine().definitions.list()):
        click.echo("Kasus contoh tidak dibuat: proses belum dipasang (jalankan perintah deploy dahulu).")
        return
    try:
        numbers = file_cases(engine())
    except EngineError as exc:
        _fail(exc)
    if numbers:
        click.echo(f"Kasus contoh diajukan: {', '.join(numbers)} (selesai, di PANDI, di analisa, baru masuk).")
    else:
        click.echo("Kasus contoh tidak dibuat: basis data ini sudah berisi kasus.")


@click.command("timers")
@with_appcontext
@click.option("--once", is_flag=True, help="Satu putaran saja, lalu berhenti.")
@click.option("--exit-when-idle", is_flag=True, help="Berhenti bila tidak ada lagi timer atau e-mail menunggu.")
@click.option("--max-sleep", default=1.0, show_default=True, type=click.FloatRange(0.05, 3600),
              callback=lambda _ctx, _param, value: _a_number(value), help="Detik terlama sebelum memeriksa timer baru.")
@click.option("--lease-seconds", default=30, show_default=True, type=click.IntRange(1, 86400),
              help="Masa sewa timer sebelum diambil alih.")
@needs_schema
def timers(once: bool, exit_when_idle: bool, max_sleep: float, lease_seconds: int):
    """Runs the timer worker: fires due SLA timers and sends the notification outbox."""
    import signal
    from datetime import timedelta

    from engine.worker import Worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("spiff").setLevel(logging.WARNING)  # a line per task state change is noise here
    engine().timers.lease = timedelta(seconds=lease_seconds)
    worker = Worker(engine().timers, engine().outbox, max_sleep=max_sleep)
    if once:
        fired, sent = worker.run_once()
        click.echo(f"{fired} timer dijalankan, {sent} e-mail terkirim.")
        return
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: worker.stop())
    smtp = engine().outbox.smtp
    click.echo(f"Pekerja timer {worker.name} berjalan; SMTP: "
               f"{f'{smtp.host}:{smtp.port}' if smtp else 'tidak dikonfigurasi (notifikasi hanya di aplikasi)'}.")
    worker.run(exit_when_idle=exit_when_idle)


@agencies.command("list")
@needs_schema
def agencies_list():
    """Lists the agencies: code, active officers, cases, name."""
    for a in engine().agencies.list(None):
        click.echo(f"{a.code:24} {a.officers:4} petugas {a.cases:6} kasus  {a.name}{'' if a.named else ' (belum bernama)'}")


@agencies.command("rename")
@click.argument("code")
@click.argument("name")
@needs_schema
def agencies_rename(code, name):
    """Names or renames the agency with that code."""
    try:
        kept = engine().agencies.rename(None, code, name)
    except EngineError as exc:
        _fail(exc, {"name": "NAME"})
    click.echo(f"Instansi {code} kini bernama {kept}.")


def init_app(app) -> None:
    app.cli.add_command(timers)
    app.cli.add_command(db)
    app.cli.add_command(users)
    app.cli.add_command(agencies)
    app.cli.add_command(deploy)
    app.cli.add_command(demo)
