"""A real fault inside a transaction, on either backend: a trigger that, for one row, writes to a table
that is gone. SQLite spells a trigger inline; PostgreSQL needs a function and a ``WHEN (...)``."""

from __future__ import annotations

from bot.data.database import Database


async def install_insert_fault(db: Database, table: str, column: str, value: int) -> None:
    """Inserting a row of ``table`` whose ``column`` is ``value`` fails (after earlier rows went in)."""
    await db.execute("CREATE TABLE fault_target (x INTEGER)")
    if db.dialect == "postgresql":
        await db.execute(
            "CREATE FUNCTION fault_fn() RETURNS trigger LANGUAGE plpgsql AS"
            " 'BEGIN INSERT INTO fault_target VALUES (1); RETURN NEW; END'"
        )
        await db.execute(
            f"CREATE TRIGGER fault AFTER INSERT ON {table} FOR EACH ROW"
            f" WHEN (NEW.{column} = {value}) EXECUTE FUNCTION fault_fn()"
        )
    else:
        await db.execute(
            f"CREATE TRIGGER fault AFTER INSERT ON {table} WHEN NEW.{column} = {value}"
            " BEGIN INSERT INTO fault_target VALUES (1); END"
        )
    await db.execute("DROP TABLE fault_target")


async def remove_insert_fault(db: Database, table: str) -> None:
    if db.dialect == "postgresql":
        await db.execute(f"DROP TRIGGER fault ON {table}")
        await db.execute("DROP FUNCTION fault_fn()")
    else:
        await db.execute("DROP TRIGGER fault")
