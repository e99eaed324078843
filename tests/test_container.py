"""The container runs the bot from /app with only bot/, knowledge/ and locales/ copied in (see
Dockerfile): check that layout works without installing the package, and that the Dockerfile is
what the README promises."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from tests.conftest import ROOT


def test_the_image_layout_runs_without_installing_the_package(tmp_path):
    app = tmp_path / "app"
    for folder in ("bot", "knowledge", "locales"):
        shutil.copytree(ROOT / folder, app / folder, ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "KNOWLEDGE_DIR")}
    env["BOT_DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "lam cccd o dau"],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Giấy tờ cần có" in result.stdout  # the Vietnamese catalog was found, compiled in memory
    health = subprocess.run([sys.executable, "-m", "bot", "health"], cwd=app, env=env, capture_output=True)
    assert health.returncode == 1  # no heartbeat: not healthy until it talks to Telegram


def test_dockerfile_promises():
    text = (ROOT / "Dockerfile").read_text()
    assert "requirements.lock" in text and 'CMD ["python", "-m", "bot", "run"]' in text
    assert "HEALTHCHECK" in text and '"bot", "health"' in text
    assert "USER 10001" in text and 'VOLUME ["/data"]' in text
    for folder in ("bot", "knowledge", "locales"):
        assert f"COPY {folder} ./{folder}" in text


def test_hadolint_is_clean():
    hadolint = shutil.which("hadolint") or str(ROOT / ".venv" / "bin" / "hadolint")
    result = subprocess.run(
        [hadolint, "--failure-threshold", "warning", str(ROOT / "Dockerfile")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
