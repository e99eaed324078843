"""The web guide: its HTTP contract, and the pages in a real browser (Debian's headless Chromium).

The browser tests need /usr/bin/chromium and /usr/bin/chromedriver (`.ci/run` installs them); without
them they are skipped, unless REQUIRE_BROWSER=1 (as in CI), when they fail instead. Screenshots at
360×740 go to $ARTEFACTS (default: the test's temporary folder)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Core
from bot.knowledge.schema import Location
from bot.services.homestays import Draft
from bot.web.initdata import sign, validate
from bot.web.server import make_app
from tests.conftest import KNOWLEDGE
from tests.fakebot import TOKEN

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
# sample pins for the tests only: not the real places' coordinates
PINS = {"place.muong-lu-lake": (22.351, 103.602), "place.o-quy-ho-pass": (22.349, 103.775)}


def _core(tmp_path: Path, pinned: bool = True) -> Core:
    core = Core.open(KNOWLEDGE, tmp_path / "data")
    if pinned:
        for ident, (lat, lon) in PINS.items():
            core.local.apply(core.local.propose(f"locations.{ident}", Location(latitude=lat, longitude=lon)), 1)
        listing = core.homestays.submit(
            7, Draft(name="Nhà nghỉ thử", village="Chu Va 6", phone="0912 000 111", latitude=22.36, longitude=103.61)
        )
        core.homestays.approve(listing, 1)
    return core


@pytest.fixture
async def client(tmp_path):
    async with TestClient(TestServer(make_app(_core(tmp_path), "binhlu_bot", TOKEN))) as c:
        yield c


async def test_the_guide_has_every_section_in_both_languages_with_strict_headers(client):
    vi = await client.get("/")
    body = await vi.text()
    assert vi.status == 200 and '<html lang="vi">' in body
    for title in ("Địa điểm", "Tour du lịch", "Homestay", "Sản phẩm OCOP", "Lễ hội và sự kiện", "Đường đến Bình Lư"):
        assert f">{title}</h2>" in body
    assert "https://t.me/binhlu_bot?start=place_muong-lu-lake" in body  # ask the assistant about it
    csp = vi.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
    assert vi.headers["Cache-Control"].startswith("public") and vi.headers["X-Content-Type-Options"] == "nosniff"
    en = await (await client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})).text()
    assert '<html lang="en">' in en and ">Places</h2>" in en
    assert '<html lang="vi">' in await (await client.get("/?lang=vi", headers={"Accept-Language": "en"})).text()


async def test_guide_json_is_the_same_content_for_other_sites(client):
    data = await (await client.get("/api/guide.json?lang=en")).json()
    sections = {s["id"]: s for s in data["sections"]}
    assert list(sections) == ["places", "tours", "homestays", "ocop", "festival", "getting-here"]
    lake = next(i for i in sections["places"]["items"] if i["id"] == "place.muong-lu-lake")
    assert lake["location"] == {"latitude": 22.351, "longitude": 103.602} and lake["title"] == "Mường Lư Lake"
    assert any(i["title"] == "Nhà nghỉ thử" for i in sections["homestays"]["items"])  # an approved listing


async def test_identity_only_with_a_valid_init_data_and_no_file_outside_static(client):
    user = json.dumps({"id": 42, "first_name": "An", "language_code": "en"})
    good = sign({"auth_date": str(int(time.time())), "user": user, "query_id": "Q1"}, TOKEN)
    ok = await client.get("/api/me", headers={"X-Telegram-Init-Data": good})
    assert ok.status == 200 and await ok.json() == {"id": 42, "language": "en"}
    forged = good.replace("%22id%22%3A+42", "%22id%22%3A+43")
    assert forged != good
    assert (await client.get("/api/me", headers={"X-Telegram-Init-Data": forged})).status == 401
    assert (await client.get("/api/me")).status == 401
    old = sign({"auth_date": "1000", "user": user}, TOKEN)
    assert validate(old, TOKEN) is None and validate(good, "123:other-token") is None
    for path in ("/static/../server.py", "/static/%2e%2e/server.py", "/static/nothing.js"):
        assert (await client.get(path)).status == 404


async def test_pages_are_light(client):
    """Transfer size with gzip, tiles aside (they come from the tile server); the aim is under 300 KB."""
    sizes = {}
    for page, assets in (("/", ["/static/app.css", "/static/lang.js"]), ("/map", None)):
        response = await client.get(page, headers={"Accept-Encoding": "gzip"})
        html = await response.text()
        if assets is None:
            assets = [
                a
                for a in (
                    "/static/app.css",
                    "/static/lang.js",
                    "/static/map.js",
                    "/static/leaflet/leaflet.js",
                    "/static/leaflet/leaflet.css",
                )
                if a in html
            ]
        total = len(await (await client.get(page, headers={"Accept-Encoding": "gzip"}, auto_decompress=False)).read())
        for asset in assets:
            r = await client.get(asset, headers={"Accept-Encoding": "gzip"}, auto_decompress=False)
            total += len(await r.read())
        sizes[page] = total
    print(f"transfer size (gzip, no tiles): / {sizes['/'] / 1024:.1f} KB, /map {sizes['/map'] / 1024:.1f} KB")
    assert sizes["/"] < 300 * 1024 and sizes["/map"] < 300 * 1024


# --- in a real browser -----------------------------------------------------------------------------


def _browser_or_skip() -> None:
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail("REQUIRE_BROWSER=1 but /usr/bin/chromium or /usr/bin/chromedriver is missing")
    pytest.skip("Debian's chromium and chromium-driver are not installed (.ci/run installs them)")


class _Server:
    """The guide served from a thread of its own, for a browser to load."""

    def __init__(self, build) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.app = build(self.base)
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.runner = web.AppRunner(self.app)
        self.loop.run_until_complete(self.runner.setup())
        self.loop.run_until_complete(web.TCPSite(self.runner, "127.0.0.1", self.port).start())
        self.ready.set()
        self.loop.run_forever()

    def __enter__(self) -> str:
        self.thread.start()
        self.ready.wait(10)
        return self.base

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


async def _tile(request: web.Request) -> web.Response:
    """A blank 1×1 PNG: the map's tiles, served locally so that no request leaves the machine."""
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4830000000049454e44ae426082"
    )
    return web.Response(body=png, content_type="image/png")


@pytest.fixture
def browser():
    _browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=360,740",
        "--force-device-scale-factor=1",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_window_size(360, 740)
    yield driver
    driver.quit()


def _errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def _shoot(driver, name: str, tmp_path: Path) -> Path:
    folder = Path(os.environ.get("ARTEFACTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    driver.set_window_size(360, 740)
    path = folder / name
    driver.save_screenshot(str(path))
    if os.environ.get("UPDATE_DOCS") == "1":  # `UPDATE_DOCS=1 pytest tests/test_web.py` refreshes the README's
        shutil.copy(path, Path(__file__).resolve().parent.parent / "docs" / name)
    return path


def _tiles_app(core: Core, base: str) -> web.Application:
    app = make_app(core, "binhlu_bot", TOKEN, tiles=base + "/tiles")
    app.router.add_get("/tiles/{z}/{x}/{y}.png", _tile)
    return app


def test_the_guide_in_a_browser_in_both_languages(browser, tmp_path):
    from urllib.parse import quote

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    core = _core(tmp_path)
    with _Server(lambda base: make_app(core, "binhlu_bot", TOKEN)) as base:
        for lang, heading in (("vi", "Địa điểm"), ("en", "Places")):
            browser.get(f"{base}/?lang={lang}")
            titles = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "section h2")]
            assert heading in titles and len(titles) == 6
            assert browser.execute_script("return document.documentElement.scrollWidth") <= 360  # no sideways scroll
            _shoot(browser, f"guide-{lang}-360.png", tmp_path)
            assert _errors(browser) == []
        browser.get(f"{base}/?lang=en&item=place.chu-va-6")  # a Mini App button opens the guide at an item
        item = browser.find_element(By.ID, "place.chu-va-6")
        assert "active" in item.get_attribute("class")
        assert browser.execute_script("return arguments[0].getBoundingClientRect().top", item) < 740
        ask = item.find_element(By.CSS_SELECTOR, "a.ask").get_attribute("href")
        assert ask == "https://t.me/binhlu_bot?start=place_chu-va-6"
        item.find_element(By.LINK_TEXT, "Chu Va 8 village").click()  # a related item, on the same page
        assert browser.current_url.endswith("#place.chu-va-8")
        # opened by Telegram as a Mini App: the page follows the Telegram user's language
        telegram = "tgWebAppData=" + quote(f"user={quote(json.dumps({'id': 5, 'language_code': 'en'}))}&auth_date=1")
        browser.get(f"{base}/#{telegram}&tgWebAppVersion=8.0")
        WebDriverWait(browser, 5).until(lambda b: "lang=en" in b.current_url)
        assert browser.find_element(By.CSS_SELECTOR, "html").get_attribute("lang") == "en"
        assert _errors(browser) == []


def test_the_map_pins_places_and_its_list_works_with_and_without_tiles(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen
    from selenium.webdriver.support.ui import WebDriverWait

    popup = (By.CLASS_NAME, "leaflet-popup-content")
    core = _core(tmp_path)
    with _Server(lambda base: _tiles_app(core, base)) as base:
        browser.get(f"{base}/map?lang=vi")
        marker = (By.CSS_SELECTOR, ".leaflet-marker-icon")
        markers = WebDriverWait(browser, 10).until(
            lambda b: b.find_elements(*marker) if len(b.find_elements(*marker)) >= 3 else None
        )
        assert len(markers) == 3, _errors(browser)  # two places and the approved homestay
        browser.find_element(By.CSS_SELECTOR, "#place\\.muong-lu-lake button").click()
        shown = WebDriverWait(browser, 5).until(seen.text_to_be_present_in_element(popup, "Hồ Mường Lư"))
        assert shown and "Chỉ đường" in browser.find_element(*popup).text
        _shoot(browser, "map-vi-360.png", tmp_path)
        assert _errors(browser) == []

        browser.execute_cdp_cmd("Network.enable", {})
        browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/tiles/*"]})
        browser.get(f"{base}/map?lang=en")
        items = browser.find_elements(By.CSS_SELECTOR, "#list li")
        assert [i.get_attribute("id") for i in items][:2] == ["place.muong-lu-lake", "place.o-quy-ho-pass"]
        browser.find_element(By.CSS_SELECTOR, "#place\\.o-quy-ho-pass button").click()
        shown = WebDriverWait(browser, 5).until(seen.text_to_be_present_in_element(popup, "Ô Quy Hồ"))
        assert shown and "Directions" in browser.find_element(*popup).text  # usable with the tiles blocked
        assert "active" in browser.find_element(By.ID, "place.o-quy-ho-pass").get_attribute("class")


async def test_with_web_url_the_bot_serves_the_guide_and_opens_it_as_a_mini_app(tmp_path):
    import aiohttp

    from tests import harness

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    h = await harness.start(
        KNOWLEDGE, tmp_path / "data", web_url="https://guide.example.org/", web_listen="127.0.0.1", web_port=port
    )
    try:
        (menu,) = await h.api.wait_for("setChatMenuButton")
        button = menu["menu_button"]
        assert button["type"] == "web_app" and button["web_app"]["url"] == "https://guide.example.org/map"
        assert button["text"] == "🗺 Bản đồ du lịch"
        answer = await h.reply_to("Where is Muong Lu lake?", user=h.api.user(7701, "en"))
        rows = answer["reply_markup"]["inline_keyboard"]
        apps = [b["web_app"]["url"] for row in rows for b in row if "web_app" in b]
        assert apps == ["https://guide.example.org/?lang=en&item=place.muong-lu-lake"]
        service = await h.reply_to("đăng ký khai sinh", user=h.api.user(7702, "vi"))
        assert not [b for row in service["reply_markup"]["inline_keyboard"] for b in row if "web_app" in b]
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/api/guide.json") as r:
            assert r.status == 200 and (await r.json())["sections"][0]["id"] == "places"
    finally:
        await harness.stop(h)
