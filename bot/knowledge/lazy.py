"""A read-only sequence whose items are made when first read (entries validated from the store's
JSON, index rows and feature strings read from SQLite, entries decoded from integer arrays)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar, overload

T = TypeVar("T")


class LazySequence(Sequence[T]):
    """Subclasses give ``__len__`` and ``_at(i)`` for 0 <= i < len; indexing (negative too) and
    slices are handled here. ``_many`` may read several items at once (one query for all)."""

    def _at(self, i: int) -> T:
        raise NotImplementedError

    def _many(self, positions: Iterable[int]) -> list[T]:
        return [self._at(i) for i in positions]

    @overload
    def __getitem__(self, i: int) -> T: ...
    @overload
    def __getitem__(self, i: slice) -> list[T]: ...
    def __getitem__(self, i: int | slice) -> T | list[T]:
        if isinstance(i, slice):
            return self._many(range(*i.indices(len(self))))
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        return self._at(i % len(self))
