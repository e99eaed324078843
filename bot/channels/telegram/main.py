"""Building and running the Telegram application. Every handler is registered here."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from hashlib import sha256
from pathlib import Path

from telegram import BotCommand, Update
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.app import Core
from bot.channels.telegram import handlers as h
from bot.i18n import N_, gettext
from bot.logs import setup_logging
from bot.services.users import Users
from bot.settings import Settings, SettingsError
from bot.settings import load as load_settings

log = logging.getLogger(__name__)

#: (command, description msgid) in menu order; the descriptions go through gettext per language.
COMMANDS = [
    ("start", N_("Start and show the main menu")),
    ("menu", N_("Main menu")),
    ("dichvu", N_("Public services")),
    ("dulich", N_("Tourism")),
    ("ocop", N_("OCOP products")),
    ("muctieu", N_("Targets 2026–2030")),
    ("lang", N_("Language: Tiếng Việt / English")),
    ("help", N_("What the assistant can do")),
]


async def post_init(app: Application) -> None:
    """Register the command menu in Vietnamese (default) and English."""
    for lang, code in (("vi", None), ("vi", "vi"), ("en", "en")):
        commands = [BotCommand(name, gettext(lang, desc)) for name, desc in COMMANDS]
        await app.bot.set_my_commands(commands, language_code=code)


def build_application(core: Core, settings: Settings) -> Application:
    app = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.api_base_url)
        .base_file_url(settings.api_base_url.replace("/bot", "/file/bot"))
        .concurrent_updates(True)
        .post_init(post_init)
        .build()
    )
    app.bot_data["core"] = core
    app.bot_data["users"] = Users(core.db)
    app.bot_data["settings"] = settings

    app.add_handler(CommandHandler("start", h.start))
    app.add_handler(CommandHandler("help", h.help_command))
    app.add_handler(CommandHandler("menu", h.menu))
    app.add_handler(CommandHandler("lang", h.language))
    for command, section in (("dichvu", "svc"), ("dulich", "tour"), ("ocop", "ocop"), ("muctieu", "goal")):
        app.add_handler(CommandHandler(command, h.section_command(section)))
    app.add_handler(CallbackQueryHandler(h.callback))
    app.add_handler(InlineQueryHandler(h.inline_query))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE, h.text_message))
    app.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE
            & (
                filters.Sticker.ALL
                | filters.PHOTO
                | filters.VOICE
                | filters.AUDIO
                | filters.VIDEO
                | filters.VIDEO_NOTE
                | filters.Document.ALL
                | filters.LOCATION
                | filters.CONTACT
            ),
            h.other_message,
        )
    )
    app.add_error_handler(h.on_error)
    return app


def webhook_secret(settings: Settings) -> str:
    """WEBHOOK_SECRET, else one derived from the token (stable across restarts, never logged)."""
    return settings.webhook_secret or sha256(("webhook:" + settings.token).encode()).hexdigest()[:48]


async def serve(app: Application, settings: Settings, stop: asyncio.Event) -> int:
    """Run until ``stop`` is set. Returns the process exit code."""
    failure: list[str] = []

    def polling_error(exc: TelegramError) -> None:
        if isinstance(exc, Conflict):
            failure.append(
                "another process is already polling with this bot token (409 Conflict): "
                "stop the other instance, or use a webhook for one of them"
            )
            stop.set()
        elif isinstance(exc, NetworkError):
            log.warning("network problem while polling: %s", exc.__class__.__name__)
        else:
            log.error("polling error: %s: %s", exc.__class__.__name__, exc)

    async with app:
        await post_init(app)
        me = app.bot.username
        if settings.webhook_url:
            await app.updater.start_webhook(
                listen=settings.webhook_listen,
                port=settings.webhook_port,
                url_path="telegram",
                webhook_url=settings.webhook_url.rstrip("/") + "/telegram",
                secret_token=webhook_secret(settings),
                allowed_updates=Update.ALL_TYPES,
            )
            log.info("bot @%s started with a webhook", me)
        else:
            await app.updater.start_polling(error_callback=polling_error, allowed_updates=Update.ALL_TYPES)
            log.info("bot @%s started, long polling", me)
        await app.start()
        await stop.wait()
        log.info("stopping")
        if app.updater.running:
            await app.updater.stop()
        await app.stop()
    if failure:
        print(f"error: {failure[0]}", file=sys.stderr)
        return 3
    return 0


def run(knowledge: Path | None = None, data_dir: Path | None = None) -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level, secrets=[settings.token])
    core = Core.open(knowledge or settings.knowledge_dir, data_dir or settings.data_dir)
    app = build_application(core, settings)

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        return await serve(app, settings, stop)

    try:
        return asyncio.run(main())
    except InvalidToken:
        print(
            "error: Telegram rejected TELEGRAM_BOT_TOKEN (invalid or revoked): check it with @BotFather",
            file=sys.stderr,
        )
        return 2
    except NetworkError as exc:
        print(
            f"error: cannot reach the Telegram Bot API at the configured address ({exc.__class__.__name__})",
            file=sys.stderr,
        )
        return 2
