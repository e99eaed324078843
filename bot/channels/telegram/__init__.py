"""The Telegram channel: a python-telegram-bot v22 Application over the engine."""
