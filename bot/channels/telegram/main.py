"""Building and running the Telegram application. Every handler is registered here."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from hashlib import sha256
from pathlib import Path

from telegram import BotCommand, LinkPreviewOptions, MenuButtonWebApp, Update, WebAppInfo
from telegram.constants import ParseMode
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    ExtBot,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.app import Core, settle
from bot.channels.telegram import (
    caidat,
    conversations,
    curator,
    errors,
    flood,
    forget,
    handoff,
    homestay,
    http,
    jobs,
    officer,
    plan,
    subscribe,
    votes,
)
from bot.channels.telegram import handlers as h
from bot.channels.telegram import keyboards as keys
from bot.channels.telegram import stats as stats_handlers
from bot.channels.telegram.broadcast import Broadcaster, paced
from bot.channels.telegram.context import CONTEXT_TYPES, BotApplication, button, stale_button
from bot.channels.telegram.persistence import ConversationStore
from bot.channels.telegram.updates import InOrderPerConversation
from bot.i18n import N_, gettext
from bot.logs import install_redaction, setup_logging
from bot.services.announcements import Announcements
from bot.services.dialogue import Dialogues
from bot.services.flood import FloodGuard
from bot.services.heartbeat import Heartbeat
from bot.services.indicators import Indicators
from bot.services.questions import QuestionLog
from bot.services.ratelimit import RateLimiter
from bot.services.roles import Roles
from bot.services.subscriptions import Subscriptions
from bot.services.tickets import Tickets
from bot.services.users import Users
from bot.settings import Settings, SettingsError

log = logging.getLogger(__name__)

#: (command, description msgid) in menu order; the descriptions go through gettext per language.
COMMANDS = [
    ("start", N_("Start and show the main menu")),
    ("menu", N_("Main menu")),
    ("dichvu", N_("Public services")),
    ("dulich", N_("Tourism")),
    ("ocop", N_("OCOP products")),
    ("muctieu", N_("Targets 2026–2030")),
    ("thongbao", N_("Choose the announcements you receive")),
    ("huy", N_("Stop all announcements")),
    ("phananh", N_("Status of a question you sent to an officer")),
    ("xoadulieu", N_("Delete everything stored about you")),
    ("lang", N_("Language: Tiếng Việt / English")),
    ("help", N_("What the assistant can do")),
]


#: (kinds of callback data, the handler of that family of buttons)
BUTTONS = [
    (("menu", "section", "entry", "lang", "langmenu"), h.navigate),
    (("subscribe", "topic", "villagemenu", "village", "stop"), subscribe.on_button),
    (("plan", "chart", "goalcharts"), plan.on_button),
    (("feedback",), votes.on_vote),
    (("ask",), handoff.on_ask),
    (("forget",), forget.on_confirm),
    (("queue",), curator.on_callback),
    (("compose",), officer.compose_button),
    (("manage",), officer.manage_button),
    (("capnhat",), plan.confirm_button),
    (("caidat",), caidat.on_button),  # a /caidat button pressed after its conversation ended (undo)
    (("listing",), homestay.withdraw),
    (("stays",), h.more_stays),
    (("vetting",), homestay.decide),
]


async def post_init(app: Application) -> None:
    """Register the command menu in Vietnamese (default) and English; start the broadcaster."""
    for lang, code in (("vi", None), ("vi", "vi"), ("en", "en")):
        commands = [BotCommand(name, gettext(lang, desc)) for name, desc in COMMANDS]
        await app.bot.set_my_commands(commands, language_code=code)
    broadcaster = app.bot_data["broadcaster"]
    await broadcaster.bot.initialize()
    broadcaster.start()
    jobs.start(app, webhook=bool(app.bot_data["settings"].webhook_url))
    await start_web(app)


async def post_stop(app: Application) -> None:
    """Let the broadcasts in flight finish recording their outcome; stop the web guide."""
    broadcaster = app.bot_data["broadcaster"]
    await broadcaster.stop()
    await broadcaster.bot.shutdown()
    runner = app.bot_data.pop("web_runner", None)
    if runner is not None:
        await runner.cleanup()


async def start_web(app: Application) -> None:
    """With WEB_URL set: the guide served from this process, and the chat's menu button opening its
    map as a Mini App."""
    settings: Settings = app.bot_data["settings"]
    if not settings.web_url:
        return
    from bot.web.server import make_app, start

    web_app = make_app(app.bot_data["core"], app.bot.username, settings.bot_token or "")
    app.bot_data["web_runner"] = await start(web_app, settings.web_listen, settings.web_port)
    # one menu button for everyone: the page itself follows the user's Telegram language
    await app.bot.set_chat_menu_button(
        menu_button=MenuButtonWebApp(gettext("vi", "🗺 Travel map"), WebAppInfo(f"{settings.web_url}/map"))
    )


#: Every message is HTML (texts are escaped where they are built), quotes no message unless asked,
#: and shows no link preview.
DEFAULTS = Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))


def broadcast_bot(settings: Settings, limiter: RateLimiter) -> ExtBot:
    """A Bot of its own for broadcasts: its own connections and its own pacing, so that a large
    broadcast never queues the answers to people's questions behind it."""
    inner = http.make(settings.http_client, connection_pool_size=settings.broadcast_concurrency + 4)
    request = http.Observed(inner, before=paced(limiter))
    return ExtBot(settings.bot_token, base_url=settings.api_base_url, request=request, defaults=DEFAULTS)


def build_application(core: Core, settings: Settings) -> BotApplication:
    install_redaction([settings.bot_token])
    heartbeat = Heartbeat(settings.data_dir)
    app = (
        ApplicationBuilder()
        .token(settings.bot_token)
        # the getUpdates connection: every successful answer from Telegram is a heartbeat
        .get_updates_request(
            http.Observed(
                http.make(settings.http_client, connection_pool_size=1, read_timeout=20),
                after=lambda status: heartbeat.beat() if status == 200 else None,
            )
        )
        .base_url(settings.api_base_url)
        .defaults(DEFAULTS)
        .context_types(CONTEXT_TYPES)
        .persistence(ConversationStore(core.db))
        .base_file_url(settings.api_base_url.replace("/bot", "/file/bot"))
        # up to 32 updates handled at once, over a pool of connections sized to match
        .concurrent_updates(InOrderPerConversation(32))
        .request(http.make(settings.http_client, connection_pool_size=40))
        # replies: 20 a minute in groups, and a RetryAfter is waited out and retried, not lost;
        # no overall cap here — broadcasts are paced separately, below Telegram's limit
        .rate_limiter(AIORateLimiter(overall_max_rate=0, group_max_rate=20, group_time_period=60, max_retries=3))
        .post_init(post_init)
        .post_stop(post_stop)
        .build()
    )
    users = Users(core.db)
    subscriptions = Subscriptions(core.db, core.kb.topics, lambda: core.commune.villages)
    announcements = Announcements(core.db)
    pace = RateLimiter(settings.broadcast_rate)
    app.bot_data.update(
        core=core,
        users=users,
        settings=settings,
        heartbeat=heartbeat,
        flood=FloodGuard(settings.flood_limit, 60.0),
        dialogues=Dialogues(),
        roles=Roles(core.db, settings.admin_ids),
        questions=QuestionLog(core.db, settings.retention_days),
        tickets=Tickets(core.db),
        indicators=Indicators(core.db, core.kb.indicators),
        subscriptions=subscriptions,
        announcements=announcements,
        broadcaster=Broadcaster(
            broadcast_bot(settings, pace),
            announcements,
            subscriptions,
            core.kb.topics,
            pace,
            concurrency=settings.broadcast_concurrency,
            channel_id=settings.channel_id,
            officer_lang=lambda user_id: users.language(user_id) or "vi",
        ),
    )

    # flood control sees every update first
    app.add_handler(TypeHandler(Update, flood.guard), group=-10)
    # an officer's reply to a ticket in the officers' group goes back to the person who asked
    if settings.officers_chat_id is not None:
        app.add_handler(
            MessageHandler(
                filters.Chat(settings.officers_chat_id) & filters.REPLY & filters.TEXT & ~filters.COMMAND,
                handoff.officer_reply,
            ),
            group=-3,
        )
    # the officers' wizards, before anything else reads their messages: /announce and 🔎
    wizards = conversations.Wizards(core.db)
    app.add_handler(conversations.announce(wizards))
    app.add_handler(conversations.find(wizards))
    app.add_handler(conversations.capnhat(wizards))
    app.add_handler(conversations.caidat(wizards))
    app.add_handler(conversations.dangkyhomestay(wizards))
    app.add_handler(CommandHandler("officer", officer.officer_command))
    app.add_handler(CommandHandler("pending", officer.pending))
    app.add_handler(CommandHandler("sent", officer.sent))
    app.add_handler(CommandHandler("unanswered", curator.unanswered))
    app.add_handler(CommandHandler("stats", stats_handlers.stats))
    app.add_handler(CommandHandler("phananh", handoff.phananh))
    app.add_handler(CommandHandler(["xoadulieu", "forget"], forget.xoadulieu))
    app.add_handler(CommandHandler("thongbao", subscribe.thongbao))
    app.add_handler(CommandHandler("huy", subscribe.huy))

    app.add_handler(CommandHandler("start", h.start))
    app.add_handler(CommandHandler("help", h.help_command))
    app.add_handler(CommandHandler("menu", h.menu))
    app.add_handler(CommandHandler("lang", h.language))
    app.add_handler(CommandHandler("muctieu", plan.muctieu))
    app.add_handler(CommandHandler("qr", plan.qr_command))
    for command, section in (("dichvu", "svc"), ("dulich", "tour"), ("ocop", "ocop")):
        app.add_handler(CommandHandler(command, h.section_command(section)))
    # buttons: one handler per family, chosen by the pattern of its callback data
    for kinds, family in BUTTONS:
        app.add_handler(CallbackQueryHandler(button(family), pattern=keys.pattern(*kinds)))
    app.add_handler(CallbackQueryHandler(stale_button))  # anything else: forged or from an old version
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
    app.add_error_handler(errors.on_error)
    return app


def webhook_secret(settings: Settings) -> str:
    """WEBHOOK_SECRET, else one derived from the token (stable across restarts, never logged)."""
    derived = sha256(("webhook:" + settings.bot_token).encode()).hexdigest()[:48]
    return settings.webhook_secret.get_secret_value() or derived


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
        updater = app.updater
        assert updater is not None  # built with the default updater
        try:
            if settings.webhook_url:
                await updater.start_webhook(
                    listen=settings.webhook_listen,
                    port=settings.webhook_port,
                    url_path="telegram",
                    webhook_url=settings.webhook_url.rstrip("/") + "/telegram",
                    secret_token=webhook_secret(settings),
                    allowed_updates=Update.ALL_TYPES,
                )
                log.info("bot @%s started with a webhook", app.bot.username)
            else:
                await updater.start_polling(error_callback=polling_error, allowed_updates=Update.ALL_TYPES)
                log.info("bot @%s started, long polling", app.bot.username)
            await app.start()
            await stop.wait()
            log.info("stopping: no new updates; letting messages in flight finish")
            if updater.running:
                await updater.stop()
        finally:
            await post_stop(app)
            if app.running:
                await app.stop()
    if failure:
        print(f"error: {failure[0]}", file=sys.stderr)
        return 3
    return 0


def run(settings: Settings, knowledge: Path | None = None, data_dir: Path | None = None) -> int:
    try:
        settings.require_token()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level, secrets=[settings.bot_token], fmt=settings.log_format)
    core = Core.open(knowledge or settings.knowledge_dir, data_dir or settings.data_dir)
    app = build_application(core, settings)
    settle()  # what is loaded now lives as long as the bot: out of the garbage collector's way

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
