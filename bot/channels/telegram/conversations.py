"""The officers' wizards as PTB ConversationHandlers, persistent (persistence.ConversationStore):
a half-finished /announce, or a 🔎 search of the unanswered queue, survives a restart.

/announce: audience → text → English text → preview → (when) — each state is the stage of the
officer's draft in the database, and every step returns the stage the draft is at afterwards,
so the conversation and the draft cannot drift apart (a second tap changes neither).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters
from telegram.warnings import PTBUserWarning

from bot.channels.telegram import curator, officer, plan
from bot.channels.telegram import keyboards as kb
from bot.channels.telegram.context import BotContext, button

PRIVATE_INPUT = filters.ChatType.PRIVATE & (filters.TEXT | filters.PHOTO) & ~filters.COMMAND
PRIVATE_TEXT = filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND
WIZARD_TIMEOUT = 30 * 60  # seconds: a wizard left this long stops taking the officer's messages
Step = Callable[[Update, BotContext], Coroutine[Any, Any, object]]


def _then(handler: Callable[[Update, BotContext], Coroutine[Any, Any, None]], state: Callable[..., object]) -> Step:
    async def step(update: Update, context: BotContext) -> object:
        await handler(update, context)
        user = update.effective_user
        return state(context, user.id) if user is not None else ConversationHandler.END

    return step


def _quietly(build: Callable[[], ConversationHandler]) -> ConversationHandler:
    """PTB warns that with per_message=False a CallbackQueryHandler is not tracked per message:
    that is the intent here (a button acts on the officer's draft, whichever message it is under)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)
        return build()


def announce() -> ConversationHandler:
    return _quietly(_announce)


def find() -> ConversationHandler:
    return _quietly(_find)


def capnhat() -> ConversationHandler:
    return _quietly(_capnhat)


def _capnhat() -> ConversationHandler:
    """/capnhat alone: tap the indicator, then type "2026 58,9"; a button confirms it."""
    return ConversationHandler(
        entry_points=[CommandHandler("capnhat", plan.capnhat)],
        states={
            plan.CHOOSE: [CallbackQueryHandler(button(plan.choose_indicator), pattern=kb.pattern("indicator"))],
            plan.VALUE: [MessageHandler(PRIVATE_TEXT, plan.typed_value)],
        },
        fallbacks=[],
        allow_reentry=True,
        conversation_timeout=WIZARD_TIMEOUT,
        name="capnhat",
        persistent=True,
    )


def _announce() -> ConversationHandler:
    buttons = CallbackQueryHandler(
        _then(button(officer.compose_button), officer.draft_state), pattern=kb.pattern("compose")
    )
    typed = MessageHandler(PRIVATE_INPUT, officer.compose_input)
    return ConversationHandler(
        entry_points=[CommandHandler("announce", officer.announce)],
        states={
            "audience": [buttons],
            "text": [typed, buttons],
            "text_en": [typed, buttons],
            "preview": [buttons],
            "when": [typed, buttons],
        },
        fallbacks=[],
        allow_reentry=True,  # /announce again starts a new draft (the old one is cancelled)
        per_message=False,  # one conversation per officer and chat; its buttons are checked by the draft
        name="announce",
        persistent=True,
    )


def _find() -> ConversationHandler:
    """🔎 under a question of the unanswered queue, then the officer's search words."""
    return ConversationHandler(
        entry_points=[
            CallbackQueryHandler(
                _then(button(curator.on_callback), lambda context, user_id: "find"),
                pattern=re.compile(r"^u:find:\d{1,12}$"),
            )
        ],
        states={
            "find": [MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, curator.find_input)]
        },
        fallbacks=[],
        allow_reentry=True,
        name="find",
        persistent=True,
    )
