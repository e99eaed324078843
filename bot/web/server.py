"""The web guide's HTTP server (aiohttp), in the bot's process or alone (`python -m bot web`).

Why aiohttp: it is asyncio-native (it runs on the bot's event loop beside python-telegram-bot), it is
small and well kept, the tests' fake Bot API already uses it, and the same library serves as the
HTTP client the bot needs next. Tornado, which PTB's webhook mode brings, would do too, but would be
a second web stack to learn for the same job.

Routes: ``/`` the guide, ``/map`` the map with a list beside it, ``/api/guide.json`` the same
content as JSON, ``/api/me`` (the Mini App's user, only with a valid initData), ``/static/…``.
Pages are rendered on the server (they work without JavaScript, the map's list included), with a
strict Content-Security-Policy, no third-party script, no tracking, and cache headers.
"""

from __future__ import annotations

import gzip
import json
from html import escape
from pathlib import Path

from aiohttp import web

from bot.app import Core
from bot.i18n import N_, gettext, normalize_language
from bot.web.guide import guide, pins
from bot.web.initdata import validate

STATIC = Path(__file__).parent / "static"
TILES = "https://tile.openstreetmap.org"  # fetched by the visitor's browser, with attribution


def csp(tiles: str) -> str:
    """Only our own scripts and styles; images from us and the tile server; framed only by Telegram."""
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data: {tiles}; connect-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'self' https://web.telegram.org https://*.telegram.org"
    )


CORE: web.AppKey[Core] = web.AppKey("core", Core)
USERNAME: web.AppKey[str] = web.AppKey("bot_username", str)
TOKEN: web.AppKey[str] = web.AppKey("token", str)
TILE_SERVER: web.AppKey[str] = web.AppKey("tiles", str)
# the page's words (through the same catalogs as the bot's)
_ASK_THE_ASSISTANT = N_("Ask the assistant")
_GUIDE_TITLE = N_("Bình Lư travel guide")
_DIRECTIONS = N_("Directions")
_SOURCE_NOTE = N_(
    "From the commune People’s Council Resolution 32/NQ-HĐND (2026–2030 plan) and the details the commune "
    "keeps; confirm locally before you travel."
)
_GUIDE = N_("Guide")
_MAP = N_("Map")
_MAP_TILES = N_("Map tiles")
_NO_PLACE_HAS_BEEN_PINNED_ON_THE_MAP_YET = N_("No place has been pinned on the map yet.")
_ON_THE_MAP = N_("On the map")
_SEE_ALSO = N_("See also:")
_NOTHING = N_("Nothing listed yet.")
TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


def language(request: web.Request) -> str:
    """?lang=, else the browser's languages (Accept-Language), else Vietnamese. (Inside Telegram the
    page's script adds ?lang= from the Mini App's user language.)"""
    asked = normalize_language(request.query.get("lang"))
    if asked:
        return asked
    for part in request.headers.get("Accept-Language", "").split(","):
        found = normalize_language(part.split(";")[0].strip())
        if found:
            return found
    return "vi"


@web.middleware
async def headers(request: web.Request, handler):
    response = await handler(request)
    response.headers.setdefault("Content-Security-Policy", csp(request.app[TILE_SERVER]))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Cache-Control", "public, max-age=300")
    if response.content_type in ("text/html", "application/json") and isinstance(response, web.Response):
        response.enable_compression()
    return response


def _page(lang: str, title: str, body: str, current: str, scripts: tuple[str, ...] = ()) -> str:
    t = lambda s: escape(gettext(lang, s))
    other = "en" if lang == "vi" else "vi"
    names = {"en": "English", "vi": "Tiếng Việt"}
    nav = (
        f'<a href="/?lang={lang}"{" aria-current=page" if current == "/" else ""}>{t(_GUIDE)}</a>'
        f'<a href="/map?lang={lang}"{" aria-current=page" if current == "/map" else ""}>{t(_MAP)}</a>'
        f'<a href="{current}?lang={other}" hreflang="{other}" id="other-lang">{names[other]}</a>'
    )
    extra_css = '<link rel="stylesheet" href="/static/leaflet/leaflet.css">' if current == "/map" else ""
    script_tags = "".join(f'<script src="{s}" defer></script>' for s in ("/static/lang.js", *scripts))
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
        f"<title>{escape(title)}</title>{extra_css}"
        f'<link rel="stylesheet" href="/static/app.css">{script_tags}</head>'
        f"<body><header><h1>{t(_GUIDE_TITLE)}</h1><nav>{nav}</nav></header>"
        f"<main>{body}</main>"
        f"<footer>{t(_SOURCE_NOTE)}</footer>"
        "</body></html>"
    )


def _item_html(item: dict, lang: str) -> str:
    t = lambda s: escape(gettext(lang, s))
    related = "".join(f'<li><a href="#{escape(r["id"])}">{escape(r["title"])}</a></li>' for r in item["related"])
    parts = [f'<article id="{escape(item["id"])}"><h3>{escape(item["title"])}</h3><p>{escape(item["text"])}</p>']
    if related:
        parts.append(f'<p class="related">{t(_SEE_ALSO)}</p><ul class="related">{related}</ul>')
    links = []
    if item["location"]:
        links.append(f'<a href="/map?lang={lang}#{escape(item["id"])}">{t(_ON_THE_MAP)}</a>')
    if item["ask"]:
        links.append(f'<a class="ask" href="{escape(item["ask"])}">{t(_ASK_THE_ASSISTANT)}</a>')
    if links:
        parts.append(f'<p class="links">{" · ".join(links)}</p>')
    parts.append("</article>")
    return "".join(parts)


async def index(request: web.Request) -> web.Response:
    lang = language(request)
    sections = guide(request.app[CORE], lang, request.app[USERNAME])
    toc = "".join(f'<a href="#{s["id"]}">{escape(s["title"])}</a>' for s in sections)
    body = f'<nav class="toc">{toc}</nav>' + "".join(
        f'<section id="{s["id"]}"><h2>{escape(s["title"])}</h2>'
        + ("".join(_item_html(i, lang) for i in s["items"]) or f"<p>{escape(gettext(lang, _NOTHING))}</p>")
        + "</section>"
        for s in sections
    )
    return web.Response(text=_page(lang, gettext(lang, _GUIDE_TITLE), body, "/"), content_type="text/html")


async def map_page(request: web.Request) -> web.Response:
    lang = language(request)
    t = lambda s: escape(gettext(lang, s))
    sections = guide(request.app[CORE], lang, request.app[USERNAME])
    points = pins(sections)
    rows = []
    for i in points:
        loc = i["location"]
        rows.append(
            f'<li id="{escape(i["id"])}" data-lat="{loc["latitude"]}" data-lon="{loc["longitude"]}">'
            f'<button type="button">{escape(i["title"])}</button><p>{escape(i["text"])}</p>'
            f'<a href="{_directions(loc)}" rel="noopener">{t(_DIRECTIONS)}</a></li>'
        )
    listing = "".join(rows) or f"<li>{t(_NO_PLACE_HAS_BEEN_PINNED_ON_THE_MAP_YET)}</li>"
    labels = {"directions": gettext(lang, _DIRECTIONS), "attribution": "© OpenStreetMap contributors"}
    tiles = request.app[TILE_SERVER]
    data = json.dumps({"pins": points, "labels": labels, "tiles": tiles}, ensure_ascii=False).replace("</", "<\\/")
    body = (
        f'<div class="map-layout"><div id="map" role="region" aria-label="{t(_MAP)}"></div>'
        f'<ul id="list" class="places">{listing}</ul></div>'
        f'<p class="attribution">{t(_MAP_TILES)}: © <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a></p>'
        f'<script type="application/json" id="pins">{data}</script>'
    )
    page = _page(lang, gettext(lang, _MAP), body, "/map", ("/static/leaflet/leaflet.js", "/static/map.js"))
    return web.Response(text=page, content_type="text/html")


def _directions(loc: dict) -> str:
    return f"https://www.google.com/maps/dir/?api=1&amp;destination={loc['latitude']:.6f},{loc['longitude']:.6f}"


async def guide_json(request: web.Request) -> web.Response:
    lang = language(request)
    sections = guide(request.app[CORE], lang, request.app[USERNAME])
    return web.json_response({"lang": lang, "sections": sections}, dumps=lambda o: json.dumps(o, ensure_ascii=False))


async def me(request: web.Request) -> web.Response:
    """The Mini App's user, only when the initData Telegram gave the page is signed with our token."""
    token = request.app[TOKEN]
    user = validate(request.headers.get("X-Telegram-Init-Data", ""), token) if token else None
    if user is None:
        return web.json_response({"error": "invalid initData"}, status=401)
    response = web.json_response({"id": user.get("id"), "language": normalize_language(user.get("language_code"))})
    response.headers["Cache-Control"] = "no-store"
    return response


_CACHE: dict[str, tuple[bytes, bytes]] = {}


async def static(request: web.Request) -> web.Response:
    name = request.match_info["path"]
    path = (STATIC / name).resolve()
    if not path.is_relative_to(STATIC.resolve()) or not path.is_file() or path.suffix not in TYPES:
        raise web.HTTPNotFound()
    if name not in _CACHE:
        raw = path.read_bytes()
        _CACHE[name] = (raw, gzip.compress(raw, 9))
    raw, packed = _CACHE[name]
    gz = "gzip" in request.headers.get("Accept-Encoding", "") and path.suffix != ".png"
    response = web.Response(body=packed if gz else raw, content_type=TYPES[path.suffix])
    if gz:
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def make_app(core: Core, bot_username: str = "", token: str = "", tiles: str = TILES) -> web.Application:
    """``token``: the bot's, to check Mini App initData (none: /api/me refuses everyone);
    ``tiles``: the map tile server's origin (OpenStreetMap's by default)."""
    app = web.Application(middlewares=[headers])
    app[CORE], app[USERNAME], app[TOKEN], app[TILE_SERVER] = core, bot_username.lstrip("@"), token, tiles.rstrip("/")
    app.router.add_get("/", index)
    app.router.add_get("/map", map_page)
    app.router.add_get("/api/guide.json", guide_json)
    app.router.add_get("/api/me", me)
    app.router.add_get("/static/{path:.+}", static)
    return app


async def start(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)  # no access log: no personal data in the logs
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
