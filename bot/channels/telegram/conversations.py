"""The officers' wizards as PTB ConversationHandlers, persistent (persistence.ConversationStore):
a half-finished /announce, /capnhat or 🔎 search of the unanswered queue survives a restart.
When an officer has started more than one, the one started last takes what they type.

/announce: audience → text → English text → preview → (when) — each state is the stage of the
officer's draft in the database, and every step returns the stage the draft is at afterwards,
so the conversation and the draft cannot drift apart (a second tap changes neither).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

import sqlite_utils
from telegram import Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters
from telegram.warnings import PTBUserWarning

from bot.channels.telegram import caidat as settings_flow
from bot.channels.telegram import curator, homestay, officer, plan
from bot.channels.telegram import keyboards as kb
from bot.channels.telegram.context import BotContext, button

PRIVATE_INPUT = filters.ChatType.PRIVATE & (filters.TEXT | filters.PHOTO) & ~filters.COMMAND
PRIVATE_TEXT = filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND
WIZARD_TIMEOUT = 30 * 60  # seconds: a wizard left this long stops taking the officer's messages
Step = Callable[[Update, BotContext], Coroutine[Any, Any, object]]


class Wizards:
    """Which wizard each officer started last (kept in SQLite, like the conversations)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def started(self, user_id: int, name: str) -> None:
        self.db.table("kv").upsert({"key": f"wizard:{user_id}", "value": name}, pk="key")

    def current(self, user_id: int) -> str | None:
        row = self.db.execute("select value from kv where key = ?", [f"wizard:{user_id}"]).fetchone()
        return row[0] if row else None


class _TypedFor(filters.MessageFilter):
    """A message for the wizard ``name``: the one its sender started last."""

    def __init__(self, wizards: Wizards, name: str) -> None:
        super().__init__(name=f"TypedFor({name})")
        self.wizards, self.wizard = wizards, name

    def filter(self, message: Message) -> bool:
        user = message.from_user
        return user is not None and self.wizards.current(user.id) == self.wizard


def _starts(wizards: Wizards, name: str, entry: Step) -> Step:
    async def step(update: Update, context: BotContext) -> object:
        state = await entry(update, context)
        if state not in (None, ConversationHandler.END) and update.effective_user is not None:
            wizards.started(update.effective_user.id, name)
        return state

    return step


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


def announce(wizards: Wizards) -> ConversationHandler:
    return _quietly(lambda: _announce(wizards))


def find(wizards: Wizards) -> ConversationHandler:
    return _quietly(lambda: _find(wizards))


def capnhat(wizards: Wizards) -> ConversationHandler:
    return _quietly(lambda: _capnhat(wizards))


def caidat(wizards: Wizards) -> ConversationHandler:
    return _quietly(lambda: _caidat(wizards))


def _caidat(wizards: Wizards) -> ConversationHandler:
    """/caidat: a section, a field, the value typed (or a pin sent), then Confirm."""
    buttons = CallbackQueryHandler(button(settings_flow.on_button), pattern=kb.pattern("caidat"))
    typed = MessageHandler(
        filters.ChatType.PRIVATE & (filters.TEXT | filters.LOCATION) & ~filters.COMMAND & _TypedFor(wizards, "caidat"),
        settings_flow.typed_value,
    )
    return ConversationHandler(
        entry_points=[CommandHandler("caidat", _starts(wizards, "caidat", settings_flow.caidat))],
        states={
            settings_flow.CHOOSE: [buttons],
            settings_flow.VALUE: [typed, buttons],
            settings_flow.CONFIRM: [buttons, typed],
        },
        fallbacks=[],
        allow_reentry=True,
        conversation_timeout=WIZARD_TIMEOUT,
        name="caidat",
        persistent=True,
    )


def dangkyhomestay(wizards: Wizards) -> ConversationHandler:
    return _quietly(lambda: _dangkyhomestay(wizards))


def _dangkyhomestay(wizards: Wizards) -> ConversationHandler:
    """/dangkyhomestay (or "🏡 Bạn có homestay?"): an owner's listing, one question at a time."""
    mine = _TypedFor(wizards, "homestay")
    text = filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND & mine
    inputs = {
        homestay.PIN: filters.ChatType.PRIVATE & (filters.TEXT | filters.LOCATION) & ~filters.COMMAND & mine,
        homestay.PHOTO: filters.ChatType.PRIVATE & (filters.PHOTO | filters.Document.ALL | filters.TEXT) & mine,
    }
    states: dict[object, list] = {}
    for step in (
        homestay.NAME,
        homestay.VILLAGE,
        homestay.PHONE,
        homestay.PIN,
        homestay.PHOTO,
        homestay.ABOUT,
        homestay.ABOUT_EN,
        homestay.PRICE,
        homestay.PREVIEW,
    ):
        handlers: list = [CallbackQueryHandler(button(homestay.pressed(step)), pattern=kb.pattern("homestay"))]
        if step != homestay.PREVIEW:
            handlers.insert(0, MessageHandler(inputs.get(step, text), homestay.typed(step)))
        states[step] = handlers
    return ConversationHandler(
        entry_points=[
            CommandHandler("dangkyhomestay", _starts(wizards, "homestay", homestay.start)),
            CallbackQueryHandler(_starts(wizards, "homestay", homestay.start), pattern=re.compile(r"^hs:new$")),
        ],
        states=states,
        fallbacks=[],
        allow_reentry=True,
        conversation_timeout=WIZARD_TIMEOUT,
        name="dangkyhomestay",
        persistent=True,
    )


def _capnhat(wizards: Wizards) -> ConversationHandler:
    """/capnhat alone: tap the indicator, then type "2026 58,9"; a button confirms it."""
    return ConversationHandler(
        entry_points=[CommandHandler("capnhat", _starts(wizards, "capnhat", plan.capnhat))],
        states={
            plan.CHOOSE: [CallbackQueryHandler(button(plan.choose_indicator), pattern=kb.pattern("indicator"))],
            plan.VALUE: [MessageHandler(PRIVATE_TEXT & _TypedFor(wizards, "capnhat"), plan.typed_value)],
        },
        fallbacks=[],
        allow_reentry=True,
        conversation_timeout=WIZARD_TIMEOUT,
        name="capnhat",
        persistent=True,
    )


def _announce(wizards: Wizards) -> ConversationHandler:
    buttons = CallbackQueryHandler(
        _then(button(officer.compose_button), officer.draft_state), pattern=kb.pattern("compose")
    )
    typed = MessageHandler(PRIVATE_INPUT & _TypedFor(wizards, "announce"), officer.compose_input)
    return ConversationHandler(
        entry_points=[CommandHandler("announce", _starts(wizards, "announce", officer.announce))],
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


def _find(wizards: Wizards) -> ConversationHandler:
    """🔎 under a question of the unanswered queue, then the officer's search words."""
    return ConversationHandler(
        entry_points=[
            CallbackQueryHandler(
                _starts(wizards, "find", _then(button(curator.on_callback), lambda context, user_id: "find")),
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
