"""No GPL dependency in the runtime (LGPL, like python-telegram-bot's, is fine)."""

from __future__ import annotations

import re
from importlib import metadata

from tests.conftest import ROOT

#: Reviewed by hand: the metadata mentions the GPL, but not as the licence we use.
REVIEWED = {
    "matplotlib": "PSF-style licence; its bundled FreeType is 'FTL OR GPL-2.0-or-later', used under the FTL",
}

GPL = re.compile(r"(?<![LA])GPL|GNU General Public License|GNU Affero", re.IGNORECASE)


def runtime_packages() -> list[str]:
    lines = (ROOT / "requirements.lock").read_text().splitlines()
    return [line.split("==")[0] for line in lines if line and not line.startswith("#")]


def licence_text(name: str) -> str:
    meta = metadata.metadata(name)
    parts = [meta.get("License") or "", meta.get("License-Expression") or ""]
    parts += [c for c in meta.get_all("Classifier") or [] if c.startswith("License")]
    return " | ".join(parts)


def test_no_runtime_dependency_is_gpl():
    offenders = {}
    for name in runtime_packages():
        if name in REVIEWED:
            continue
        text = licence_text(name)
        lesser = "Lesser" in text or "LGPL" in text or "Library" in text
        if GPL.search(text.replace("LGPL", "")) and not lesser:
            offenders[name] = text[:200]
    assert offenders == {}


def test_the_lock_pins_every_direct_dependency():
    import tomllib

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[\[<>=!~ ]", d)[0].lower().replace("_", "-") for d in deps}
    locked = {n.lower().replace("_", "-") for n in runtime_packages()}
    assert names <= locked, names - locked
