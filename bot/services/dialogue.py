"""What a conversation remembers between two messages: the entry last answered and the question
that led to it, for follow-ups ("còn lệ phí?") and corrections ("không phải"). Per chat and person
(in a group, each person has their own), for ten minutes, in memory only: a restart, or a message
hours later, starts afresh, and nothing leaks between chats. The same for every channel."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field

from bot.engine.engine import Engine, Result, Status

TTL = 10 * 60.0  # seconds a follow-up may refer back
MAX_CONVERSATIONS = 50_000  # the oldest are forgotten first


@dataclass
class Turn:
    entry_id: str | None  # the entry answered; None when the bot only offered suggestions
    question: str = ""  # the question that was answered with it ("" when opened from a button)
    log_id: int | None = None  # its row in the question log, set by the channel
    at: float = field(default_factory=time.monotonic)
    offered: list[str] = field(default_factory=list)  # the suggestions shown, when not sure


class Dialogues:
    def __init__(self, ttl: float = TTL, size: int = MAX_CONVERSATIONS) -> None:
        self.ttl, self.size = ttl, size
        self._last: OrderedDict[tuple[int, int], Turn] = OrderedDict()
        self._messages: OrderedDict[tuple[int, int], str] = OrderedDict()  # (chat, message id) → entry

    def sent(self, chat_id: int, message_id: int, entry_id: str) -> None:
        """The bot's message ``message_id`` answered with ``entry_id``: a reply to it refers to that entry."""
        self._messages[(chat_id, message_id)] = entry_id
        while len(self._messages) > self.size:
            self._messages.popitem(last=False)

    def entry_of_message(self, chat_id: int, message_id: int) -> str | None:
        return self._messages.get((chat_id, message_id))

    def reply(
        self, engine: Engine, chat_id: int, user_id: int, text: str, lang: str | None, replied_to: int | None = None
    ) -> tuple[Result, Turn | None]:
        """The engine's result for ``text`` in this conversation, and the turn it refers back to
        (for a correction: the answer said to be wrong). ``replied_to``: the bot's message this one
        replies to (Telegram's reply), whose entry is then the context."""
        last = self.last(chat_id, user_id)
        if replied_to is not None and (entry_id := self.entry_of_message(chat_id, replied_to)):
            last = Turn(entry_id)
        if last is not None and last.question and engine.fields.correction(text):
            self._last.pop((chat_id, user_id), None)
            shown = [last.entry_id] if last.entry_id else last.offered
            return engine.correct(last.question, shown, lang), last
        result = engine.ask(text, lang, context=last.entry_id if last else None, offered=last.offered if last else None)
        if result.status is Status.ANSWER and result.entry_id:
            self.answered(chat_id, user_id, result.entry_id, text)
        elif result.status in (Status.SUGGEST, Status.NONE):  # remembered for "không phải" and follow-ups
            turn = self.answered(chat_id, user_id, None, text)
            turn.offered = list(result.suggestions)
        return result, last

    def answered(
        self, chat_id: int, user_id: int, entry_id: str | None, question: str = "", now: float | None = None
    ) -> Turn:
        key = (chat_id, user_id)
        turn = Turn(entry_id, question, at=time.monotonic() if now is None else now)
        self._last[key] = turn
        self._last.move_to_end(key)
        while len(self._last) > self.size:
            self._last.popitem(last=False)
        return turn

    def last(self, chat_id: int, user_id: int, now: float | None = None) -> Turn | None:
        turn = self._last.get((chat_id, user_id))
        if turn is None:
            return None
        if (time.monotonic() if now is None else now) - turn.at > self.ttl:
            del self._last[(chat_id, user_id)]
            return None
        return turn

    def context(self, chat_id: int, user_id: int, now: float | None = None) -> str | None:
        """The entry this person was last answered in this chat, if recent enough."""
        turn = self.last(chat_id, user_id, now)
        return turn.entry_id if turn else None
