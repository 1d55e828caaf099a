"""The database backends behind ``bot.data.database.Database``: SQLite (default) and PostgreSQL."""
