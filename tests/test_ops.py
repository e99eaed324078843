"""Running it for years: settings, logs without secrets, migrations, backups, health, SIGTERM."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from bot.logs import JsonFormatter, install_redaction
from bot.services.heartbeat import Heartbeat
from bot.settings import SettingsError, load
from bot.storage.db import MIGRATIONS, connect
from tests.conftest import KNOWLEDGE, ROOT
from tests.fakebot import TOKEN, FakeBotAPI
from tests.harness import run_bot_process

GOOD = {"TELEGRAM_BOT_TOKEN": TOKEN}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ADMIN_IDS", "12, ab"),
        ("BROADCAST_RATE", "-3"),
        ("BROADCAST_RATE", "fast"),
        ("LOG_LEVEL", "LOUD"),
        ("LOG_FORMAT", "xml"),
        ("WEBHOOK_URL", "http://insecure.example"),
        ("WEBHOOK_SECRET", "has spaces"),
        ("TELEGRAM_API_BASE_URL", "ftp://x"),
        ("QUESTION_RETENTION_DAYS", "half a year"),
        ("TELEGRAM_BOT_TOKEN", "not-a-token"),
    ],
)
def test_a_malformed_setting_is_one_line_naming_it(name, value):
    with pytest.raises(SettingsError) as err:
        load({**GOOD, name: value}, dotenv=None)
    assert name in str(err.value) and "\n" not in str(err.value)
    assert TOKEN not in str(err.value)


def test_settings_come_from_dotenv_and_the_environment_wins(tmp_path):
    env = tmp_path / ".env"
    env.write_text(f'# comment\nTELEGRAM_BOT_TOKEN="{TOKEN}"\nADMIN_IDS=1, 2\nBROADCAST_RATE=12.5\n')
    s = load({"ADMIN_IDS": "7"}, dotenv=env)
    assert s.bot_token == TOKEN and s.admin_ids == (7,) and s.broadcast_rate == 12.5
    assert TOKEN not in repr(s)  # the token never shows in a repr either


def _docker_env_file(path) -> dict[str, str]:
    """What `docker run --env-file` passes: every NAME=value line as is, comments skipped."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            out[name.strip()] = value
    return out


def test_env_example_keeps_the_image_volume_and_a_checkout_local(tmp_path):
    image = {}
    for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if "BOT_DATA_DIR=" in line:
            image["BOT_DATA_DIR"] = line.split("BOT_DATA_DIR=")[1].split()[0]
    assert image == {"BOT_DATA_DIR": "/data"}
    example = ROOT / ".env.example"
    in_docker = load({**image, **_docker_env_file(example)}, dotenv=None)  # --env-file wins over ENV
    assert in_docker.data_dir == Path("/data")
    assert in_docker.knowledge_dir.name == "knowledge"  # KNOWLEDGE_DIR= means unset
    copied = tmp_path / ".env"
    copied.write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    assert load({}, dotenv=copied).data_dir == Path("data")  # cp .env.example .env on a checkout


def test_every_log_record_is_redacted_whatever_the_handler(caplog):
    install_redaction([TOKEN])
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("httpx").debug("HTTP Request: POST https://api.telegram.org/bot%s/getMe", TOKEN)
        logging.getLogger("anything").error("secret half: %s", TOKEN.split(":")[1])
        try:
            raise RuntimeError(f"failed calling /bot{TOKEN}/sendMessage")
        except RuntimeError:
            logging.getLogger("x").exception("boom")
    text = caplog.text + "".join(r.exc_text or "" for r in caplog.records)
    assert TOKEN not in text and TOKEN.split(":")[1] not in text
    assert "<redacted>" in text


def test_json_log_lines():
    record = logging.LogRecord("bot.x", logging.WARNING, __file__, 1, "hello %s", ("world",), None)
    data = json.loads(JsonFormatter(tracebacks=False).format(record))
    assert data["level"] == "WARNING" and data["message"] == "hello world" and data["logger"] == "bot.x"


def test_migrations_run_once_and_upgrade_an_old_database(tmp_path):
    path = tmp_path / "bot.db"
    conn = sqlite3.connect(path)
    conn.execute("create table users (id integer primary key, language text, first_seen text, last_seen text)")
    conn.execute("insert into users values (1, 'vi', 'a', 'b')")
    conn.execute("pragma user_version = 1")
    conn.commit()
    conn.close()
    db = connect(path)
    assert db.execute("pragma user_version").fetchone()[0] == len(MIGRATIONS)
    assert {"outbox", "tickets", "question_log", "indicator_values"} <= set(db.table_names())
    assert db.execute("select language from users where id = 1").fetchone()[0] == "vi"  # data kept
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"
    db.conn.close()
    connect(path).conn.close()  # opening again changes nothing


def test_online_backup_while_the_bot_writes(tmp_path):
    db = connect(tmp_path / "bot.db")
    db.table("question_log").insert_all({"text": f"q{i}", "status": "none"} for i in range(2000))
    stop = threading.Event()

    def writer() -> None:
        w = connect(tmp_path / "bot.db")
        n = 0
        while not stop.is_set():
            w.table("question_log").insert({"text": f"live {n}", "status": "none"})
            n += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "bot", "--data-dir", str(tmp_path), "backup", str(tmp_path / "backup" / "copy.db")],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
    finally:
        stop.set()
        t.join()
    assert result.returncode == 0, result.stderr
    copy = sqlite3.connect(tmp_path / "backup" / "copy.db")
    assert copy.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert copy.execute("select count(*) from question_log").fetchone()[0] >= 2000


def test_health_reflects_the_heartbeat(tmp_path):
    def health() -> int:
        return subprocess.run(
            [sys.executable, "-m", "bot", "--data-dir", str(tmp_path), "health"], capture_output=True, cwd=ROOT
        ).returncode

    assert health() == 1  # never talked to Telegram
    Heartbeat(tmp_path).beat()
    assert health() == 0
    old = time.time() - 600
    (tmp_path / "heartbeat").write_text(f"{old:.0f}\n")
    assert health() == 1


async def test_the_polling_bot_keeps_its_heartbeat(tmp_path):
    from tests import harness

    h = await harness.start(KNOWLEDGE, tmp_path / "data")
    try:
        for _ in range(100):
            if (tmp_path / "data" / "heartbeat").exists():
                break
            await asyncio.sleep(0.05)
        assert (tmp_path / "data" / "heartbeat").exists()
    finally:
        await harness.stop(h)


RECIPIENTS = list(range(30_000, 30_200))


async def test_sigterm_mid_broadcast_loses_nothing(tmp_path):
    from bot.app import Core

    data = tmp_path / "data"
    core = Core.open(KNOWLEDGE, data)
    core.db.table("users").insert_all(
        ({"id": r, "language": "vi", "first_seen": "x", "last_seen": "x"} for r in RECIPIENTS), pk="id"
    )
    store = __import__("bot.services.announcements", fromlist=["Announcements"]).Announcements(core.db)
    a = store.new_draft(1)
    store.update(
        a.id,
        topics=["emergency"],
        emergency=1,
        text_vi="Cảnh báo mưa lớn",
        stage="scheduled",
        scheduled_at="2000-01-01T00:00:00+00:00",
    )  # due at once when the bot starts
    core.db.conn.close()

    api = FakeBotAPI()
    await api.start()
    env = dict(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api.base_url,
        BOT_DATA_DIR=str(data),
        BROADCAST_RATE="40",
        BROADCAST_CONCURRENCY="8",
        LOG_LEVEL="INFO",
    )

    async def start() -> asyncio.subprocess.Process:
        return await run_bot_process(tmp_path, **env)

    def delivered() -> Counter:
        wanted = {str(r) for r in RECIPIENTS}
        return Counter(str(p["chat_id"]) for p in api.sent() if str(p["chat_id"]) in wanted)

    proc = await start()
    try:
        for _ in range(600):
            if sum(delivered().values()) >= 60:
                break
            await asyncio.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()[-2000:]
        assert "Traceback" not in err.decode() and TOKEN not in err.decode()
        first_run = sum(delivered().values())
        assert first_run < len(RECIPIENTS)
        conn = sqlite3.connect(data / "bot.db")
        in_flight = conn.execute("select count(*) from outbox where status = 'sending'").fetchone()[0]
        assert in_flight == 0  # every send that started was recorded before exit
        assert conn.execute("select count(*) from outbox where status = 'sent'").fetchone()[0] == first_run
        conn.close()

        proc = await start()
        for _ in range(1200):
            if len(delivered()) == len(RECIPIENTS):
                break
            await asyncio.sleep(0.05)
        counts = delivered()
        assert len(counts) == len(RECIPIENTS)
        assert max(counts.values()) == 1  # graceful: nobody got it twice
    finally:
        if proc.returncode is None:
            proc.terminate()
            await proc.wait()
        await api.stop()


def test_every_command_honours_dotenv(tmp_path, monkeypatch, capsys):
    from bot.cli import main

    for name in ("BOT_DATA_DIR", "KNOWLEDGE_DIR", "BOT_USERNAME", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "from-dotenv"
    (tmp_path / ".env").write_text(f"BOT_DATA_DIR={data}\nKNOWLEDGE_DIR={KNOWLEDGE}\nBOT_USERNAME=binhlu_bot\n")
    assert main(["kb", "build"]) == 0 and (data / "bot.db").is_file()
    assert main(["ask", "lam cccd o dau"]) == 0 and "CĂN CƯỚC" in capsys.readouterr().out.upper()
    assert main(["backup", str(tmp_path / "copy.db")]) == 0 and (tmp_path / "copy.db").is_file()
    Heartbeat(data).beat()
    assert main(["health"]) == 0
    assert main(["qr", "service.citizen-id-card", "--out", str(tmp_path / "qr.png")]) == 0  # the username too
    assert main(["kb", "check"]) == 0
    (tmp_path / ".env").write_text("LOG_LEVEL=loud\n")
    for command in (["ask", "x"], ["kb", "check"], ["health"], ["eval"]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: LOG_LEVEL") and err.count("\n") == 1
