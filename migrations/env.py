import logging
from collections import Counter
from logging.config import fileConfig

from flask import current_app

from alembic import context

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging, unless the process running the migrations
# (gunicorn, pytest, a deploy script) has already set logging up: fileConfig would replace its
# handlers and, by default, silence every logger that already exists (such as the app's).
if config.config_file_name is not None and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger('alembic.env')


def get_engine():
    # Flask-SQLAlchemy 3: the engine of the app being migrated.
    return current_app.extensions['migrate'].db.engine


def get_engine_url():
    return get_engine().url.render_as_string(hide_password=False).replace('%', '%%')


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option('sqlalchemy.url', get_engine_url())
target_db = current_app.extensions['migrate'].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, 'metadatas'):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url, target_metadata=get_metadata(), literal_binds=True
    )

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, 'autogenerate', False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info('No changes in schema detected.')

    conf_args = current_app.extensions['migrate'].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _foreign_keys(connection, "OFF")
        try:
            if sqlite:
                broken_before = _broken_references(connection)
                # Python's sqlite3 opens a transaction only before INSERT/UPDATE/DELETE, so DDL
                # would be committed statement by statement and a failure would leave half a
                # migration (batch mode's _alembic_tmp_* copies): one transaction, opened here,
                # before Alembic looks, so it takes it as the caller's and commits nothing itself.
                connection.exec_driver_sql("BEGIN")
            context.configure(
                connection=connection,
                target_metadata=get_metadata(),
                **conf_args
            )

            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    _refuse_new_broken_references(connection, broken_before)
            if sqlite:
                connection.commit()  # the one transaction opened above
        finally:
            if sqlite:
                connection.rollback()  # nothing, after a commit; after a failure, what is left
                _foreign_keys(connection, "ON")


def _foreign_keys(connection, state):
    """SQLite's own procedure for changing a table's shape (https://sqlite.org/lang_altertable.html):
    batch mode copies a table, drops it and renames the copy, and dropping a table that other
    rows refer to fails while foreign keys are enforced (app/extensions.py turns them on for each
    connection). So they are off while the migrations run, checked before the commit, and on
    again before the connection goes back to the pool. The setting is ignored inside a
    transaction, so it is sent on its own and committed."""
    connection.exec_driver_sql(f"PRAGMA foreign_keys = {state}")
    connection.commit()


def _broken_references(connection) -> Counter:
    """How many rows of each table name a missing row of each other table."""
    return Counter((table, parent) for table, _rowid, parent, _key in
                   connection.exec_driver_sql("PRAGMA foreign_key_check").all())


def _refuse_new_broken_references(connection, before: Counter) -> None:
    """Fail only on references these migrations broke: a database may carry rows broken before
    SQLite enforced foreign keys (aa8504a), which must not stop every later upgrade. Counted by
    table, as batch mode's copies may give rows new rowids."""
    new = _broken_references(connection) - before
    if new:
        found = "; ".join(f"{count} row{'s' if count > 1 else ''} of {table} name{'s' if count == 1 else ''} "
                          f"a {parent} row that is not there" for (table, parent), count in sorted(new.items()))
        raise RuntimeError(
            f"The migrations broke references: {found}. Nothing was changed (the upgrade was rolled "
            "back). Fix the migration that removes or renumbers those rows, or run "
            "'PRAGMA foreign_key_check' on a copy of the database to see them.")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
