"""The Telegram channel: a python-telegram-bot v22 Application over the engine."""

import os

# Opt in to PTB's future behaviour (time periods as timedelta), which our code already handles.
os.environ.setdefault("PTB_TIMEDELTA", "1")
