"""End-to-end throughput through the fake Bot API: our bot against a minimal PTB echo bot.

    python bench/telegram_bench.py [--updates 400] [--rounds 5]

The fake server runs in a process of its own (as Telegram would). Both bots run the real
python-telegram-bot Application, polling it, alternately in the same run; the figure that
matters is the ratio (ours / echo), for each HTTP client (HTTP_CLIENT=aiohttp, the default,
and httpx). Also prints the CPU time per update (less noisy than
the throughput, which depends on how two processes share the cores), and the time from an update being
available to its reply reaching the server (p50/p99), under a burst and at a steady pace.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram import Update  # noqa: E402
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters  # noqa: E402

from bench.broadcast_bench import Remote  # noqa: E402
from bot.app import Core, settle  # noqa: E402
from bot.channels.telegram.main import build_application, post_init, post_stop  # noqa: E402
from bot.evaluation import load_questions  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.fakebot import TOKEN  # noqa: E402


def echo_application(base_url: str) -> Application:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(update.effective_message.text)

    app = ApplicationBuilder().token(TOKEN).base_url(base_url).concurrent_updates(True).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    return app


async def replies_for(remote: Remote, chats: set[int], timeout: float = 300) -> dict[int, float]:
    """Server time of the first reply to each chat, waiting until every chat has one."""
    first: dict[int, float] = {}
    deadline = time.monotonic() + timeout
    while len(first) < len(chats) and time.monotonic() < deadline:
        for c in await remote.refresh():
            if c["method"] == "sendMessage" and c["chat_id"] in chats and c["chat_id"] not in first:
                first[c["chat_id"]] = c["at"]
        await asyncio.sleep(0.05)
    return first


async def burst(remote: Remote, questions: list[str], base: int) -> tuple[float, list[float], float]:
    """Push every question at once; (updates/s, latencies in ms, CPU ms per update this process spent:
    the bot under test, and this script's own polling, alike for every bot)."""
    chats = list(range(base, base + len(questions)))
    cpu = time.process_time()
    r = await remote.http.post("/push_many", json=[{"text": q, "user_id": c} for q, c in zip(questions, chats)])
    pushed = r.json()["at"]
    first = await replies_for(remote, set(chats))
    cpu_ms = (time.process_time() - cpu) * 1000 / len(questions)
    elapsed = max(first.values()) - pushed
    return len(first) / elapsed, sorted((t - pushed) * 1000 for t in first.values()), cpu_ms


async def paced(remote: Remote, questions: list[str], base: int, rate: float) -> list[float]:
    pushed: dict[int, float] = {}
    for i, q in enumerate(questions):
        chat = base + i
        r = await remote.http.post("/push_many", json=[{"text": q, "user_id": chat}])
        pushed[chat] = r.json()["at"]
        await asyncio.sleep(1 / rate)
    first = await replies_for(remote, set(pushed))
    return sorted((first[c] - pushed[c]) * 1000 for c in first)


async def run_app(app: Application, ours: bool) -> None:
    await app.initialize()
    if ours:
        await post_init(app)
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await app.start()


async def stop_app(app: Application, ours: bool) -> None:
    await app.updater.stop()
    if ours:
        await post_stop(app)
    await app.stop()
    await app.shutdown()


def p(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q / 100 * (len(values) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=2, help="paired rounds (echo, then each client)")
    args = parser.parse_args()
    qs = [q.q for q in load_questions(ROOT / "tests" / "dev" / "questions.yaml")]
    questions = (qs * (args.updates // len(qs) + 1))[: args.updates]
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakebot", cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    remote = Remote(int((await server.stdout.readline()).decode()))
    results: dict[str, list] = {"echo": [], "aiohttp": [], "httpx": []}
    base = 1_000_000
    try:
        with tempfile.TemporaryDirectory() as tmp:
            core = Core.open(ROOT / "knowledge", Path(tmp))
            settle()  # as the bot's run() does once loaded (the same process runs the echo bot: both alike)
            # each round: the echo bot and both clients, in alternating order to spread drift
            order = [
                ("echo", "aiohttp", "httpx") if r % 2 == 0 else ("echo", "httpx", "aiohttp") for r in range(args.rounds)
            ]
            for name in [n for round_ in order for n in round_]:
                ours = name != "echo"
                settings = Settings(
                    token=TOKEN, api_base_url=remote.base_url, data_dir=Path(tmp), flood_limit=10_000,
                    http_client=name if ours else "aiohttp",
                )  # fmt: skip
                app = build_application(core, settings) if ours else echo_application(remote.base_url)
                await run_app(app, ours)
                try:
                    results[name].append(await burst(remote, questions, base))
                    base += len(questions)
                    if name == "aiohttp" and "paced" not in results:
                        results["paced"] = await paced(remote, questions[:150], base, rate=20)
                        base += 150
                finally:
                    await stop_app(app, ours)
    finally:
        server.terminate()
        await server.wait()

    def rate(name: str) -> float:
        return sum(r for r, _ms, _cpu in results[name]) / len(results[name])

    def lat(name: str) -> list[float]:
        return sorted(x for _r, ms, _cpu in results[name] for x in ms)

    def cpu(name: str) -> float:
        return statistics.median(c for _r, _ms, c in results[name])

    print(
        f"{args.updates} text updates pushed at once, {args.rounds} paired rounds, alternating; "
        "fake server in its own process"
    )
    echo = lat("echo")
    print(f"echo bot (PTB, httpx)   : {rate('echo'):.0f} updates/s; p50 {p(echo, 50):.0f} ms, p99 {p(echo, 99):.0f} ms")
    for name in ("aiohttp", "httpx"):
        print(
            f"our bot, HTTP_CLIENT={name:<7}: {rate(name):.0f} updates/s; p50 {p(lat(name), 50):.0f} ms, "
            f"p99 {p(lat(name), 99):.0f} ms; ratio to echo {rate(name) / rate('echo'):.2f}"
        )
    for name in ("aiohttp", "httpx"):
        paired = sorted(ours[0] / echo[0] for ours, echo in zip(results[name], results["echo"], strict=True))
        print(
            f"  {name}: ratio to echo per round {', '.join(f'{x:.2f}' for x in paired)}; "
            f"median {statistics.median(paired):.2f}"
        )
    print(
        f"CPU ms per update (this process: bot and polling; median of the rounds): echo {cpu('echo'):.2f}, "
        + ", ".join(f"{name} {cpu(name):.2f} ({cpu(name) / cpu('echo'):.2f} of echo)" for name in ("aiohttp", "httpx"))
    )
    print("(burst latencies include queueing behind the other updates)")
    steady = results["paced"]
    print(f"our bot at 20 updates/s, no queue: p50 {p(steady, 50):.0f} ms, p99 {p(steady, 99):.0f} ms update→reply")


if __name__ == "__main__":
    asyncio.run(main())
