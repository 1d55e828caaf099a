"""Operations: the database lock, backups and restores, the heartbeat and the health check."""
