"""Composing an entry into an answer: text, structured service facts, local details, notes.

The result is a neutral structure; each channel renders it (plain text for the console,
escaped HTML for Telegram). Labels go through gettext; facts come from the knowledge base.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.i18n import format_date, gettext
from bot.knowledge.schema import Commune, Contact, Entry, Homestay, LocalText, Location
from bot.text.normalize import clean, fold, tokens


@dataclass
class Field:
    label: str
    value: str | list[str]
    link: str | None = None
    key: str = ""  # which part it is: fee, time_limit, documents, where, online, legal_basis, code, address…


@dataclass
class Answer:
    entry_id: str
    title: str
    paragraphs: list[str]
    fields: list[Field] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: list[Field] = field(default_factory=list)  # after the text: the legal basis, cited public facts
    facts_first: bool = False  # a procedure: what to bring, how long, the fee, where, before the text
    related: list[tuple[str, str]] = field(default_factory=list)  # (id, title)
    location: Location | None = None

    def order(self) -> list[str | list[Field]]:
        """The body in reading order: paragraphs (text) and groups of fields, empty ones left out.
        A procedure puts its facts before the text; the legal basis always comes after it."""
        facts: list[str | list[Field]] = [self.fields] if self.fields else []
        text: list[str | list[Field]] = list(self.paragraphs)
        body = facts + text if self.facts_first else text + facts
        return body + ([self.details] if self.details else [])


def _local(text: LocalText, lang: str) -> str:
    """A local detail; in an English answer, one set only in Vietnamese says so."""
    value, other = text.get(lang)
    return gettext(lang, "{text} (in Vietnamese)").format(text=value) if other and lang == "en" else value


def _contact_fields(contact: Contact, lang: str) -> list[Field]:
    out = []
    if contact.address:
        out.append(Field(gettext(lang, "Address"), _local(contact.address, lang), key="address"))
    if contact.hours:
        out.append(Field(gettext(lang, "Working hours"), _local(contact.hours, lang), key="hours"))
    if contact.phone:
        out.append(Field(gettext(lang, "Phone"), contact.phone, key="phone"))
    if contact.email:
        out.append(Field(gettext(lang, "Email"), contact.email, key="email"))
    return out


MAX_STAYS = 10  # listed places shown in one answer; the rest are counted


def _village_first(stays: list[Homestay], question: str) -> list[Homestay]:
    """The places in a village the question names ("homestay ở Chu Va 8") before the others."""
    words = lambda text: f" {' '.join(fold(t) for t in tokens(clean(text)))} "
    asked = words(question)
    return sorted(stays, key=lambda h: not (h.village and words(h.village) in asked))


def stay_lines(stays: list[Homestay], lang: str, with_village: bool = True, page: int = 0) -> list[str]:
    """One line per listed place on page ``page`` (MAX_STAYS a page): name, village, phone, what it
    offers, since when it is listed; a last line counts the places on later pages."""
    lines = []
    for h in stays[page * MAX_STAYS : (page + 1) * MAX_STAYS]:
        parts = [h.name, h.village if with_village else "", h.phone, h.price]
        line = ", ".join(x for x in parts if x)
        about = h.description.get(lang)[0] if h.description else ""
        if about:
            line += f" — {about}"
        if h.listed_since:
            line += " " + gettext(lang, "(listed since {date})").format(date=format_date(h.listed_since, lang))
        lines.append(line)
    rest = len(stays) - (page + 1) * MAX_STAYS
    if rest > 0:
        lines.append(gettext(lang, "…and {n} more.").format(n=rest))
    return lines


_stays = stay_lines


def _contact_owner(lang: str) -> str:
    return gettext(
        lang,
        "Listed places are run by their owners: contact them directly. The commune lists them but does not "
        "guarantee prices or services.",
    )


def commune_contacts(commune: Commune, lang: str) -> list[Field]:
    """The commune's hotline and website, when the deployer has set them."""
    out = []
    if commune.hotline:
        out.append(Field(gettext(lang, "Commune hotline"), commune.hotline, key="phone"))
    if commune.website:
        out.append(Field(gettext(lang, "Commune website"), commune.website, key="website"))
    return out


def compose(
    entry: Entry, lang: str, commune: Commune, titles: dict[str, str] | None = None, question: str = ""
) -> Answer:
    """The answer for ``entry`` in ``lang``. ``titles`` maps related ids to their titles; ``question``,
    when given, puts the places to stay of a village it names first."""
    paragraphs = [p.strip() for p in entry.answer.get(lang).strip().split("\n\n") if p.strip()]
    answer = Answer(entry.id, entry.title.get(lang), paragraphs)
    s = entry.service
    if s is not None:
        if s.documents and s.documents.get(lang):
            answer.fields.append(Field(gettext(lang, "Documents"), s.documents.get(lang), key="documents"))
        if s.time_limit:
            answer.fields.append(Field(gettext(lang, "Time limit"), s.time_limit.get(lang), key="time_limit"))
        if s.fee:
            answer.fields.append(Field(gettext(lang, "Fee"), s.fee.get(lang), key="fee"))
        if s.where:
            where = (
                gettext(lang, "Who handles it") if entry.category == "referral" else gettext(lang, "Where to submit")
            )
            answer.fields.append(Field(where, s.where.get(lang), key="where"))
        if s.online is not None:
            value = gettext(lang, "Yes") if s.online.available else gettext(lang, "No")
            answer.fields.append(Field(gettext(lang, "Online"), value, s.online.link, key="online"))
        if s.legal_basis:
            answer.details.append(Field(gettext(lang, "Legal basis"), "; ".join(s.legal_basis), key="legal_basis"))
        answer.facts_first = True
    if entry.facts:  # cited public facts, each with its publication, after the text
        label = gettext(lang, "Good to know (public sources)")
        lines = [f"{f.get(lang).rstrip('.')} ({f.source})" for f in entry.facts]
        answer.details.append(Field(label, lines, key="facts"))
    if entry.category == "service":
        police = s is not None and s.office == "police"
        answer.fields += _contact_fields(commune.police if police else commune.one_stop_office, lang)
        if s is not None and s.hotline:
            answer.fields += commune_contacts(commune, lang)
        confirm = (
            gettext(
                lang,
                "Updated: {date}. Procedures change often: please confirm with the commune police before you go.",
            )
            if police
            else gettext(
                lang,
                "Updated: {date}. Procedures change often: "
                "please confirm at the commune's one-stop desk before you go.",
            )
        )
        answer.notes.append(confirm.format(date=format_date(entry.updated, lang)))
    if entry.category == "referral":
        answer.notes.append(
            gettext(
                lang,
                "Updated: {date}. Procedures change often: please confirm with the office named above before you go.",
            ).format(date=format_date(entry.updated, lang))
        )
    if entry.category == "stay":
        if commune.homestays:
            answer.fields.append(
                Field(
                    gettext(lang, "Places to stay listed by the commune"),
                    _stays(_village_first(commune.homestays, question), lang, True),
                )
            )
            answer.notes.insert(0, _contact_owner(lang))
        else:
            answer.paragraphs.append(
                gettext(
                    lang, "The commune has not listed any place to stay yet: please ask the commune People's Committee."
                )
            )
    if entry.village:
        here = [
            h for h in commune.homestays if fold(h.village).casefold().strip() == fold(entry.village).casefold().strip()
        ]
        if here:
            answer.fields.append(Field(gettext(lang, "Homestays listed in this village"), _stays(here, lang, False)))
            answer.notes.insert(0, _contact_owner(lang))
        else:
            answer.paragraphs.append(
                gettext(
                    lang,
                    "The commune has not listed a homestay in {village} yet: "
                    "please ask the commune People's Committee.",
                ).format(village=entry.village)
            )
    answer.location = commune.locations.get(entry.id) or entry.location
    if entry.category != "meta":
        source = entry.source
        if s is not None and s.legal_basis:  # the legal basis is shown above: the source line lists the rest
            rest = [p for p in (x.strip() for x in source.split(";")) if p and p not in s.legal_basis]
            source = "; ".join(rest) or source
        if s is not None and s.code:  # the national procedure code goes with the sources, at the end
            label = gettext(lang, "Procedure code")
            source = f"{label} {s.code}; {source}"
        if lang == "en":  # "NQ 32/NQ-HĐND, mục 2.1.3" reads "section 2.1.3" in an English answer
            source = _SECTION_RE.sub("section ", source)
        answer.notes.append(gettext(lang, "Source: {source}").format(source=source))
    titles = titles or {}
    answer.related = [(r, titles[r]) for r in entry.related if r in titles]
    return answer


#: the parts shown for each part asked: "where" brings the office's address, hours and phone along
PRECISE = {
    "fee": ("fee",),
    "time_limit": ("time_limit",),
    "documents": ("documents",),
    "where": ("where", "address", "hours", "phone"),
    "online": ("online",),
    "legal_basis": ("legal_basis",),
    "hours": ("hours",),
    "phone": ("phone",),
    "address": ("address", "hours"),
}


_SECTION_RE = re.compile(r"\b[mM]ục\s+(?=\d)")

LOCAL_PARTS = ("hours", "phone", "address")  # the office's details, set by the deployer in commune.yaml

PRECISE_BUDGET = 360  # characters of title and values: with labels, a precise reply stays under 400


def _shortened(f: Field, budget: int, lang: str) -> Field:
    """A long list (the documents of a procedure) cut to what fits, saying how many more there are."""
    if not isinstance(f.value, list) or sum(len(v) for v in f.value) <= budget:
        return f
    kept: list[str] = []
    for v in f.value:
        if sum(len(k) for k in kept) + len(v) > budget - 60:
            break
        kept.append(v)
    rest = len(f.value) - len(kept)
    kept.append(gettext(lang, "…and {n} more: tap “Full answer”.").format(n=rest))
    return Field(f.label, kept, f.link, f.key)


def precise(answer: Answer, asked: str, lang: str) -> Answer:
    """Only the part of ``answer`` that was asked for, under its title; when the deployer has not
    set that local detail yet (the office's hours, phone, address), one line that says so."""
    wanted = PRECISE.get(asked, ())
    every = answer.fields + answer.details
    fields = [_shortened(f, PRECISE_BUDGET - len(answer.title), lang) for f in every if f.key in wanted]
    short = Answer(answer.entry_id, answer.title, [], fields, related=answer.related)
    if not fields and asked in LOCAL_PARTS:
        short.paragraphs = [
            gettext(
                lang,
                "The commune has not put this detail in the assistant yet. Tap “Full answer” for what is known.",
            )
        ]
    elif not fields:
        short.paragraphs = [
            gettext(
                lang,
                "The assistant has no verified answer on this point for this procedure. "
                "Tap “Full answer” for what is known, and confirm at the office.",
            )
        ]
    return short


def render_plain(answer: Answer, lang: str, related: bool = True) -> str:
    """The answer as plain text (console, `ask`). ``related`` adds a "See also" line."""
    blocks = [answer.title.upper()]
    for part in answer.order():
        if isinstance(part, str):
            blocks.append(part)
            continue
        lines = []
        for f in part:
            if isinstance(f.value, list):
                lines.append(f"{f.label}:")
                lines += [f"  • {v}" for v in f.value]
            else:
                lines.append(f"{f.label}: {f.value}" + (f" ({f.link})" if f.link else ""))
        blocks.append("\n".join(lines))
    if answer.notes:
        blocks.append("\n".join(answer.notes))
    if related and answer.related:
        blocks.append(gettext(lang, "See also:") + " " + "; ".join(t for _, t in answer.related))
    return "\n\n".join(blocks)
