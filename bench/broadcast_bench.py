"""Broadcast benchmark: 10,000 subscribers against the fake Bot API enforcing a rate limit.

    python bench/broadcast_bench.py [--subscribers 10000] [--limit 300] [--rate 280]

The fake server runs in a process of its own (as Telegram would) and refuses with 429 anything
beyond --limit messages in any one-second window. The bot broadcasts at --rate, leaving the rest
as headroom for replies; meanwhile other users ask questions a few times a second. Prints the
achieved broadcast rate as a ratio of the limit (target ≥ 0.9), the 429s received (target 0)
and the p99 time to answer a question during the broadcast (target ≤ 1 s).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import harness  # noqa: E402

QUESTIONS = [
    "lam cccd o dau",
    "đăng ký khai sinh cần gì",
    "mua miến dong ở đâu",
    "tỷ lệ che phủ rừng 2030",
    "is there a guided hike up Chu Va?",
    "đăng ký kết hôn mất bao lâu",
]


class Remote:
    """The fake Bot API in another process, through its /_control endpoints."""

    def __init__(self, port: int) -> None:
        self.base_url = f"http://127.0.0.1:{port}/bot"
        self.http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/_control", timeout=30)
        self.calls: list[dict] = []

    async def push_text(self, text: str, user_id: int) -> None:
        await self.http.post("/push", json={"text": text, "user_id": user_id})

    async def refresh(self) -> list[dict]:
        r = (await self.http.get("/calls", params={"since": len(self.calls)})).json()
        self.calls += r["calls"]
        return self.calls


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--subscribers", type=int, default=10_000)
    p.add_argument("--limit", type=float, default=300)
    p.add_argument("--rate", type=float, default=280)
    p.add_argument("--questions-per-second", type=float, default=5)
    args = p.parse_args()

    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakebot", cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    port = int((await server.stdout.readline()).decode())
    remote = Remote(port)
    await remote.http.post("/config", json={"global_limit": args.limit, "chat_limit": 5})
    try:
        with tempfile.TemporaryDirectory() as tmp:
            h = await harness.start(
                ROOT / "knowledge", Path(tmp), api=remote, broadcast_rate=args.rate, broadcast_concurrency=64
            )
            try:
                await run(h, remote, args)
            finally:
                await harness.stop(h, keep_api=True)
    finally:
        server.terminate()
        await server.wait()


async def run(h, remote: Remote, args) -> None:
    recipients = list(range(100_000, 100_000 + args.subscribers))
    h.seed_users(recipients)
    store = h.app.bot_data["announcements"]
    a = store.new_draft(harness.ADMIN)
    store.update(a.id, topics=["emergency"], emergency=1, text_vi="Bản tin thử nghiệm", stage="preview")
    t0 = time.monotonic()
    await h.app.bot_data["broadcaster"].launch(a.id, None)

    asked: dict[int, float] = {}
    i = 0
    while store.unfinished(a.id):
        user = 900_000 + i
        asked[user] = time.monotonic()
        await remote.push_text(QUESTIONS[i % len(QUESTIONS)], user)
        i += 1
        await asyncio.sleep(1 / args.questions_per_second)
    await asyncio.sleep(2)
    calls = await remote.refresh()
    wanted = {r for r in recipients}
    sends = [c for c in calls if c["method"] == "sendMessage" and c["status"] == 200 and c["chat_id"] in wanted]
    times = sorted(c["at"] for c in sends)
    rate = (len(times) - 1) / (times[-1] - times[0])
    refused = sum(1 for c in calls if c["status"] == 429)
    print(
        f"{args.subscribers} subscribers; fake server (own process) limit {args.limit:.0f}/s; "
        f"bot broadcast rate {args.rate:.0f}/s; wall time {time.monotonic() - t0:.1f}s"
    )
    print(f"achieved broadcast rate: {rate:.1f} msg/s = {rate / args.limit:.3f} of the limit (target ≥ 0.9)")
    print(f"429s received: {refused} (target 0)")
    print(f"delivered: {store.progress(a.id)}")
    await reply_latency(h, remote, asked)


async def reply_latency(h, remote: Remote, asked: dict[int, float]) -> None:
    """Time from pushing a question to its first reply reaching the server. Both processes read
    the same system-wide monotonic clock (CLOCK_MONOTONIC on Linux), so the times compare."""
    calls = await remote.refresh()
    first_reply: dict[int, float] = {}
    for c in calls:
        if c["method"] == "sendMessage" and c["chat_id"] in asked and c["chat_id"] not in first_reply:
            first_reply[c["chat_id"]] = c["at"]
    latencies = sorted(first_reply[u] - asked[u] for u in first_reply)
    p = lambda q: latencies[min(len(latencies) - 1, int(q / 100 * (len(latencies) - 1)))]
    print(
        f"questions answered during the broadcast: {len(latencies)} of {len(asked)}; "
        f"p50 {p(50) * 1000:.0f} ms, p99 {p(99) * 1000:.0f} ms (target p99 ≤ 1000 ms)"
    )


if __name__ == "__main__":
    asyncio.run(main())
