"""End-to-end throughput through the fake Bot API: our bot against a minimal PTB echo bot.

    python bench/telegram_bench.py [--updates 400]

Both run the real python-telegram-bot Application, polling the same fake server in the same
process; the figure that matters is the ratio (ours / echo), target ≥ 0.7. Also prints the
p99 time from an update being available to its reply reaching the server.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram import Update  # noqa: E402
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters  # noqa: E402

from bot.app import Core  # noqa: E402
from bot.channels.telegram.main import build_application  # noqa: E402
from bot.evaluation import load_questions  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.fakebot import TOKEN, FakeBotAPI  # noqa: E402


def echo_application(base_url: str) -> Application:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(update.effective_message.text)

    app = ApplicationBuilder().token(TOKEN).base_url(base_url).concurrent_updates(True).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    return app


async def drive(
    api: FakeBotAPI, app: Application, questions: list[str], pace: float = 0.0
) -> tuple[float, list[float]]:
    """Push the questions (all at once, or one every ``pace`` seconds); (updates/s, latencies ms)."""
    await app.initialize()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await app.start()
    try:
        # warm up
        api.send_text("xin chào", user=api.user(1))
        await api.wait_for("sendMessage", count=1, timeout=30)
        base = len(api.sent())
        pushed: dict[int, float] = {}
        t0 = time.perf_counter()
        for i, q in enumerate(questions):
            chat = 10_000 + i
            pushed[chat] = time.monotonic()
            api.send_text(q, user=api.user(chat))
            if pace:
                await asyncio.sleep(pace)
        await api.wait_for("sendMessage", count=base + len(questions), timeout=300)
        elapsed = time.perf_counter() - t0
        first: dict[int, float] = {}
        for c in api.calls:
            if c.method == "sendMessage":
                chat = int(c.params["chat_id"])
                if chat in pushed and chat not in first:
                    first[chat] = c.at
        latencies = sorted((first[c] - pushed[c]) * 1000 for c in first)
        return len(questions) / elapsed, latencies
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--updates", type=int, default=400)
    args = p.parse_args()
    qs = [q.q for q in load_questions(ROOT / "tests" / "dev" / "questions.yaml")]
    questions = (qs * (args.updates // len(qs) + 1))[: args.updates]
    with tempfile.TemporaryDirectory() as tmp:
        core = Core.open(ROOT / "knowledge", Path(tmp))
        results = {}
        for name in ("echo", "ours", "echo2", "ours2"):  # alternate to spread drift
            api = FakeBotAPI()
            await api.start()
            try:
                if name.startswith("echo"):
                    app = echo_application(api.base_url)
                else:
                    app = build_application(core, Settings(token=TOKEN, api_base_url=api.base_url))
                results[name] = await drive(api, app, questions)
            finally:
                await api.stop()
        api = FakeBotAPI()
        await api.start()
        try:
            app = build_application(core, Settings(token=TOKEN, api_base_url=api.base_url))
            _rate, paced = await drive(api, app, questions[:200], pace=0.05)
        finally:
            await api.stop()
    echo_rate = (results["echo"][0] + results["echo2"][0]) / 2
    ours_rate = (results["ours"][0] + results["ours2"][0]) / 2
    lat = sorted(results["ours"][1] + results["ours2"][1])
    elat = sorted(results["echo"][1] + results["echo2"][1])
    p = lambda v, q: v[min(len(v) - 1, int(q / 100 * (len(v) - 1)))]
    print(f"{args.updates} text updates per run, two runs each, alternating")
    print(f"echo bot: {echo_rate:.0f} updates/s; p50 {p(elat, 50):.0f} ms, p99 {p(elat, 99):.0f} ms update→reply")
    print(f"our bot : {ours_rate:.0f} updates/s; p50 {p(lat, 50):.0f} ms, p99 {p(lat, 99):.0f} ms update→reply")
    print(f"ratio ours/echo: {ours_rate / echo_rate:.2f} (target ≥ 0.7)")
    print("(the latencies above include queueing: every update was pushed at once)")
    print(f"our bot at 20 updates/s, no queue: p50 {p(paced, 50):.0f} ms, p99 {p(paced, 99):.0f} ms update→reply")


if __name__ == "__main__":
    asyncio.run(main())
