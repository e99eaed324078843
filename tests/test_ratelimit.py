"""The broadcast limiter keeps its pace, spaces messages to one chat, and honours pauses."""

from __future__ import annotations

import asyncio
import time

from bot.services.ratelimit import RateLimiter


async def _times(limiter: RateLimiter, chats: list[int]) -> list[float]:
    out: list[float] = []

    async def one(chat: int) -> None:
        await limiter.acquire_chat(chat)
        await limiter.acquire()
        out.append(time.monotonic())

    await asyncio.gather(*(one(c) for c in chats))
    return sorted(out)


def _max_in_window(times: list[float], window: float) -> int:
    return max(sum(1 for u in times if t <= u < t + window) for t in times)


async def test_never_more_than_the_rate_in_any_second_with_room_for_jitter():
    times = await _times(RateLimiter(rate=50, slack=0.1), list(range(70)))
    assert _max_in_window(times, 1.1) <= 50  # even a window of 1.1 s holds no more than the rate
    assert times[-1] - times[0] >= 69 / 50 * 1.1 * 0.95


async def test_one_chat_gets_at_most_one_message_a_second():
    times = await _times(RateLimiter(rate=1000, per_chat=0.3), [7, 7, 7])
    assert times[1] - times[0] >= 0.29 and times[2] - times[1] >= 0.29


async def test_groups_are_spaced_wider():
    times = await _times(RateLimiter(rate=1000, per_chat=0.05, per_group=0.3), [-100, -100])
    assert times[1] - times[0] >= 0.29


async def test_a_pause_holds_everyone_back():
    limiter = RateLimiter(rate=1000)
    limiter.pause(0.3)
    start = time.monotonic()
    await limiter.acquire()
    assert time.monotonic() - start >= 0.29
