"""One consultation across servers: join codes, linked servers and their health (issue 16)."""
