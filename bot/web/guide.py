"""What the guide shows, from the knowledge base and the local details: the same for the page,
the map and /api/guide.json. Channel-neutral: no HTML here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from bot.app import Core
from bot.i18n import N_, gettext
from bot.services.links import deep_link, payload_for

#: the guide's sections: key → (title msgid, entry categories)
SECTIONS: list[tuple[str, str, tuple[str, ...]]] = [
    ("places", N_("Places"), ("place",)),
    ("tours", N_("Tours"), ("tour",)),
    ("homestays", N_("Homestays"), ("stay",)),
    ("ocop", N_("OCOP products"), ("ocop",)),
    ("festival", N_("Festival and events"), ("event",)),
    ("getting-here", N_("Getting here"), ("travel",)),
]
SHORT = 280  # characters of an item's text on the page


@dataclass
class Item:
    id: str
    title: str
    text: str
    section: str
    related: list[dict[str, str]] = field(default_factory=list)
    location: dict[str, float] | None = None
    ask: str | None = None  # the deep link that opens the bot on this entry


def short(text: str, limit: int = SHORT) -> str:
    first = text.strip().split("\n\n")[0].strip()
    if len(first) <= limit:
        return first
    cut = first[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def guide(core: Core, lang: str, bot_username: str = "") -> list[dict]:
    """The sections, each with its items, in ``lang``."""
    commune = core.commune
    out = []
    for key, title, categories in SECTIONS:
        items: list[Item] = []
        for e in core.kb.entries:
            if e.category not in categories:
                continue
            point = commune.locations.get(e.id) or e.location
            items.append(
                Item(
                    id=e.id,
                    title=e.title.get(lang),
                    text=short(e.answer.get(lang)),
                    section=key,
                    related=[
                        {"id": r, "title": core.title(r, lang)}
                        for r in e.related
                        if (rel := core.engine.entry(r)) is not None and rel.category != "meta"
                    ],
                    location=point.model_dump() if point else None,
                    ask=deep_link(bot_username, payload_for(e.id)) if bot_username else None,
                )
            )
        if key == "homestays":
            for n, h in enumerate(commune.homestays, 1):
                about = h.description.get(lang)[0] if h.description else ""
                details = ", ".join(x for x in (h.village, h.phone, h.price) if x)
                items.append(
                    Item(
                        id=f"homestay-{n}",
                        title=h.name,
                        text=" — ".join(x for x in (details, about) if x),
                        section=key,
                        location=h.location.model_dump() if h.location else None,
                    )
                )
        out.append({"id": key, "title": gettext(lang, title), "items": [asdict(i) for i in items]})
    return out


def pins(sections: list[dict]) -> list[dict]:
    """Every item with coordinates, for the map."""
    return [i for s in sections for i in s["items"] if i["location"]]
