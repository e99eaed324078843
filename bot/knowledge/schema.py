"""The shape of a knowledge entry, validated with pydantic."""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LANGS = ("vi", "en")
#: ``referral``: a procedure people ask the commune about that another office handles ("where to go")
CATEGORIES = ("service", "referral", "tour", "place", "stay", "event", "travel", "ocop", "goal", "meta")
PROCEDURES = ("service", "referral")  # categories that carry a `service` block of structured facts
ID_RE = re.compile(r"^(?P<category>[a-z]+)\.[a-z0-9]+(?:-[a-z0-9]+)*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """A text in both languages; both are required."""

    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi


class TextList(_Strict):
    vi: list[str] = Field(default_factory=list)
    en: list[str] = Field(default_factory=list)

    def get(self, lang: str) -> list[str]:
        return self.en if lang == "en" else self.vi


class Online(_Strict):
    available: bool
    link: str | None = None


class ServiceInfo(_Strict):
    """Structured facts of a public-service procedure. Leave out what is not verified."""

    code: str | None = None
    documents: TextList | None = None
    time_limit: Text | None = None
    fee: Text | None = None
    where: Text | None = None
    online: Online | None = None
    legal_basis: list[str] = Field(default_factory=list)
    office: Literal["one_stop_office", "police"] = "one_stop_office"  # whose contact details to show
    hotline: bool = False  # also show the commune's hotline and website (contact and complaints entries)


class PublicFact(_Strict):
    """A fact for visitors from a public source beyond the resolution (geography, distances, climate,
    customs…), each cited on its own: never a price, phone, opening hour or business name."""

    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)
    source: str = Field(min_length=1)  # the publication (and date), shown after the fact
    url: str | None = None  # where a curator can check it
    updated: dt.date  # when it was last checked

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi


class Location(_Strict):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class Entry(_Strict):
    id: str
    category: Literal[CATEGORIES]  # type: ignore[valid-type]
    title: Text
    questions: TextList
    keywords: list[str] = Field(default_factory=list)
    answer: Text
    service: ServiceInfo | None = None
    location: Location | None = None
    long_answer: str | None = None  # why its full answer may run over 1,500 characters
    village: str | None = None  # a village (bản): its name as in commune.yaml, to show its listed homestays
    facts: list[PublicFact] = Field(default_factory=list)  # cited public facts beyond the text
    related: list[str] = Field(default_factory=list)
    source: str = Field(min_length=1)
    updated: dt.date

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not ID_RE.match(value):
            raise ValueError(
                f"malformed id {value!r}: expected <category>.<slug> in lower case, "
                "the slug of a-z, 0-9 and single hyphens"
            )
        return value

    @field_validator("keywords", mode="before")
    @classmethod
    def _keywords_are_text(cls, value: object) -> object:
        if isinstance(value, list):
            return [str(v) for v in value]
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Entry:
        prefix = self.id.split(".", 1)[0]
        if prefix != self.category:
            raise ValueError(f"id {self.id!r} does not start with its category {self.category!r}")
        if not self.questions.vi and not self.questions.en:
            raise ValueError("no questions: give at least one alternate question")
        if self.service is not None and self.category not in PROCEDURES:
            raise ValueError("only service and referral entries carry a `service` block")
        if self.category == "referral" and (self.service is None or self.service.where is None):
            raise ValueError("a referral entry must say who handles it: service.where")
        if self.village is not None and self.category != "place":
            raise ValueError("only place entries name a `village`")
        return self

    def texts(self, lang: str) -> list[str]:
        """Title and questions in one language: what people type to reach this entry."""
        return [self.title.get(lang), *self.questions.get(lang)]


class Lexicon(_Strict):
    abbreviations: dict[str, str] = Field(default_factory=dict)
    synonyms: list[list[str]] = Field(default_factory=list)
    stopwords: TextList = Field(default_factory=TextList)

    @field_validator("synonyms")
    @classmethod
    def _groups(cls, value: list[list[str]]) -> list[list[str]]:
        for group in value:
            if len(group) < 2:
                raise ValueError(f"a synonym group needs two phrases or more: {group}")
        return value


PHONE_RE = re.compile(r"^\+?[0-9][0-9 .()-]{6,18}[0-9]$")
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$")


def _phone(value: str) -> str:
    value = value.strip()
    if value and not PHONE_RE.match(value):
        raise ValueError(f"{value!r} is not a phone number (digits, spaces, + . - ( ) only)")
    return value


class LocalText(_Strict):
    """A local detail in Vietnamese, with an optional English form. A plain string is the Vietnamese."""

    vi: str = ""
    en: str = ""

    @model_validator(mode="before")
    @classmethod
    def _plain(cls, value: object) -> object:
        return {"vi": value} if isinstance(value, str) else value

    def __bool__(self) -> bool:
        return bool(self.vi or self.en)

    def get(self, lang: str) -> tuple[str, bool]:
        """The text for ``lang``, and whether it is in another language than the one asked."""
        if lang == "en" and self.en:
            return self.en, False
        if self.vi:
            return self.vi, lang == "en"
        return self.en, lang != "en"


class Contact(_Strict):
    address: LocalText = Field(default_factory=LocalText)
    phone: str = ""
    hours: LocalText = Field(default_factory=LocalText)
    email: str = ""

    _phone = field_validator("phone")(classmethod(lambda cls, v: _phone(v)))

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        value = value.strip()
        if value and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value):
            raise ValueError(f"{value!r} is not an e-mail address")
        return value


class Homestay(_Strict):
    name: str
    village: str = ""
    phone: str = ""
    location: Location | None = None
    listed_since: dt.date | None = None  # set for listings their owners made and an officer approved
    description: LocalText = Field(default_factory=LocalText)
    price: str = ""

    _phone = field_validator("phone")(classmethod(lambda cls, v: _phone(v)))


class Area(_Strict):
    """The commune's bounding box: a pin an officer sets must fall inside it."""

    south: float = Field(ge=-90, le=90)
    west: float = Field(ge=-180, le=180)
    north: float = Field(ge=-90, le=90)
    east: float = Field(ge=-180, le=180)

    def contains(self, point: Location) -> bool:
        return self.south <= point.latitude <= self.north and self.west <= point.longitude <= self.east


#: Used while the deployer has not set the commune's own box: Vietnam's extent, roughly (mainland and
#: islands), so that a pin set by mistake on the other side of the world is still refused.
VIETNAM = Area(south=8.0, west=102.0, north=23.5, east=117.5)


class Commune(_Strict):
    """Local details only the deployer knows. Empty by default; answers leave out what is unset."""

    one_stop_office: Contact = Field(default_factory=Contact)
    police: Contact = Field(default_factory=Contact)
    hotline: str = ""
    website: str = ""
    villages: list[str] = Field(default_factory=list)
    homestays: list[Homestay] = Field(default_factory=list)
    locations: dict[str, Location] = Field(default_factory=dict)
    area: Area | None = None  # the commune's bounding box, for checking pins; unset: Vietnam's

    _hotline = field_validator("hotline")(classmethod(lambda cls, v: _phone(v)))

    @field_validator("website")
    @classmethod
    def _website(cls, value: str) -> str:
        value = value.strip()
        if value and not URL_RE.match(value):
            raise ValueError(f"{value!r} is not a web address: it must start with https:// or http://")
        return value

    @model_validator(mode="after")
    def _pins_inside(self) -> Commune:
        box = self.area or VIETNAM
        for ident, point in self.locations.items():
            if not box.contains(point):
                raise ValueError(
                    f"locations.{ident}: {point.latitude}, {point.longitude} is outside the commune's area"
                )
        return self


class Topic(_Strict):
    """An announcement topic (knowledge/topics.yaml)."""

    id: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=20)
    title: Text
    default: bool = False
    emergency: bool = False


class Indicator(_Strict):
    """A target of the 2026–2030 plan (knowledge/indicators.yaml)."""

    id: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=40)
    goal: str
    title: Text
    kind: Literal["number", "milestone"] = "number"
    target: float | None = None
    unit: Text | None = None
    direction: Literal["up", "down"] = "up"
    year: int = Field(ge=2025, le=2100)
    section: str
    source: str = Field(min_length=1)
    note: Text | None = None

    @model_validator(mode="after")
    def _target_for_numbers(self) -> Indicator:
        if self.kind == "number" and (self.target is None or self.unit is None):
            raise ValueError("a number indicator needs a target and a unit")
        return self


class Training(_Strict):
    """What ``kb calibrate`` wraps around the knowledge base's own questions (knowledge/training.yaml)."""

    context: TextList = Field(default_factory=TextList)  # templates with one {q}
    elsewhere: TextList = Field(default_factory=TextList)  # subjects the knowledge base does not cover

    @field_validator("context")
    @classmethod
    def _one_slot(cls, value: TextList) -> TextList:
        for template in [*value.vi, *value.en]:
            if template.count("{q}") != 1:
                raise ValueError(f"a context template needs exactly one {{q}}: {template!r}")
        return value


class FieldWords(_Strict):
    """Words that ask for one part of an answer (knowledge/fields.yaml), per part and language."""

    fee: TextList = Field(default_factory=TextList)
    time_limit: TextList = Field(default_factory=TextList)
    documents: TextList = Field(default_factory=TextList)
    where: TextList = Field(default_factory=TextList)
    online: TextList = Field(default_factory=TextList)
    legal_basis: TextList = Field(default_factory=TextList)
    hours: TextList = Field(default_factory=TextList)
    phone: TextList = Field(default_factory=TextList)
    address: TextList = Field(default_factory=TextList)
    followup: TextList = Field(default_factory=TextList)  # words with no subject of their own
    correction: TextList = Field(default_factory=TextList)  # "không phải", "wrong": the last answer was wrong
    describing: TextList = Field(default_factory=TextList)  # hold a part's word, name the subject: "học nghề miễn phí"

    def items(self) -> list[tuple[str, TextList]]:
        """The parts and their words (not the follow-up fillers, corrections or describing words)."""
        return [
            (name, getattr(self, name))
            for name in type(self).model_fields
            if name not in ("followup", "correction", "describing")
        ]
