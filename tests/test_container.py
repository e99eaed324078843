"""The container runs the bot from /app with only bot/, knowledge/ and locales/ copied in (see
Dockerfile): that layout, read from the Dockerfile, works without installing the package, and
hadolint finds nothing (a non-root user included)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from tests.conftest import ROOT


def _dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of the Dockerfile, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_the_image_layout_runs_without_installing_the_package(tmp_path):
    """The folders the Dockerfile copies, laid out as it lays them out, run its CMD and HEALTHCHECK:
    without a token the bot stops with one clear line, and it is unhealthy until it talks to Telegram."""
    app = tmp_path / "app"  # WORKDIR /app
    app.mkdir()
    steps = _dockerfile()
    copies = [args.split() for op, args in steps if op == "COPY"]
    for src, dest in copies:
        if (ROOT / src).is_dir():
            shutil.copytree(ROOT / src, app / dest, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / src, (app / dest).resolve())
    assert {"bot", "knowledge", "locales"} <= {p.name for p in app.iterdir()}
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "KNOWLEDGE_DIR") and "TELEGRAM" not in k}
    env["BOT_DATA_DIR"] = str(tmp_path / "data")

    def run(argv: list[str]) -> subprocess.CompletedProcess:
        argv = [sys.executable if a == "python" else a for a in argv]
        return subprocess.run(argv, cwd=app, env=env, capture_output=True, text=True, timeout=120)

    answer = run(["python", "-m", "bot", "ask", "lam cccd the nao"])
    assert answer.returncode == 0, answer.stderr
    assert "Giấy tờ cần có" in answer.stdout  # the Vietnamese catalog was found, compiled in memory
    cmd = json.loads(next(args for op, args in steps if op == "CMD"))
    started = run(cmd)
    assert started.returncode == 2 and started.stderr.strip().count("\n") == 0
    assert "TELEGRAM_BOT_TOKEN is not set" in started.stderr
    health = json.loads(next(args for op, args in steps if op == "HEALTHCHECK").split("CMD", 1)[1])
    assert run(health).returncode == 1  # no heartbeat: not healthy until it talks to Telegram


def test_hadolint_is_clean():
    hadolint = shutil.which("hadolint") or str(ROOT / ".venv" / "bin" / "hadolint")
    result = subprocess.run(
        [hadolint, "--failure-threshold", "warning", str(ROOT / "Dockerfile")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
