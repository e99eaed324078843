"""The bot's one SQLite database (through sqlite-utils): knowledge, users, logs, outbox."""
