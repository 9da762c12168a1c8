"""Alembic environment: the URL comes from the caller (the `db upgrade` command), the schema from engine.models."""
from alembic import context
from engine.migrate import BrokenReferences
from engine.models import Base
from engine.store import make_sql_engine

config = context.config
url = config.get_main_option("sqlalchemy.url")


def run_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = make_sql_engine(url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    if connection.dialect.name != "sqlite":
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    # One transaction for the whole upgrade, as on PostgreSQL (Alembic would commit each SQLite migration on its
    # own), taken for writing at once (BEGIN IMMEDIATE: it waits for the app's commands instead of failing
    # when it first writes), so the check below comes before anything is committed.
    context.configure(connection=connection.execution_options(write=True), target_metadata=Base.metadata,
                      render_as_batch=True, transactional_ddl=True)
    # SQLite changes a table's constraints by copying it (Alembic's batch mode): a new table, the rows, DROP the
    # old one, RENAME. With foreign keys enforced, that DROP first deletes the old table's rows, which every
    # table referring to them refuses (or follows, were a reference to cascade), so they are off while
    # migrating, as SQLite's documentation says to do, and every reference is checked before the upgrade
    # commits. (The pragma only takes effect outside a transaction.)
    raw = connection.connection.driver_connection
    if raw.in_transaction:  # a caller's transaction: the pragma would be ignored, so nothing is rebuilt unsafely
        raise RuntimeError("SQLite migrations run outside a transaction (foreign keys are turned off for them).")
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        with context.begin_transaction():
            context.run_migrations()
            broken = raw.execute("PRAGMA foreign_key_check").fetchall()
            if broken:  # nothing is committed: the database stays at the revision it was
                raise BrokenReferences(broken)
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_offline()
else:
    run_online()
