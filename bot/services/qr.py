"""Printable QR posters that open the bot on an entry: the code; under it the entry's title, a
one-line instruction and the bot's @name (for people who type it instead of scanning)."""

from __future__ import annotations

import io
import textwrap
from functools import cache
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

from bot.i18n import gettext
from bot.services import links

WIDTH = 800
CAPTION = 260  # pixels of caption below the code: title, instruction, @name
BORDER = 4  # quiet zone, in modules


deep_link = links.deep_link  # the poster's code is the entry's deep link


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans (shipped with matplotlib) covers Vietnamese; Pillow's default font otherwise."""
    try:
        import matplotlib

        path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
        return ImageFont.truetype(str(path), size)
    except (ImportError, OSError):
        return ImageFont.load_default()


def module_geometry(url: str) -> tuple[int, int]:
    """(modules per side including the quiet zone, pixels per module) of the poster for ``url``."""
    side = int(segno.make(url, error="m", micro=False).symbol_size(border=BORDER)[0])
    return side, WIDTH // side


def caption(title: str, bot_username: str, lang: str = "vi") -> list[tuple[str, int]]:
    """The lines under the code, each with its font size: up to two of title, the instruction, the @name."""
    lines = [(line, 34) for line in textwrap.wrap(title, width=36)[:2]]
    lines.append((gettext(lang, "Scan to ask the Bình Lư commune assistant"), 28))
    lines.append(("@" + bot_username.lstrip("@"), 28))
    return lines


def poster(url: str, title: str, bot_username: str, lang: str = "vi") -> bytes:
    """A PNG: the QR code for ``url`` (error correction M) with its caption under it."""
    qr = segno.make(url, error="m", micro=False)
    _side, scale = module_geometry(url)
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=scale, border=BORDER)
    code = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    img = Image.new("RGB", (WIDTH, WIDTH + CAPTION), "white")
    offset = (WIDTH - code.width) // 2
    img.paste(code, (offset, offset))
    draw = ImageDraw.Draw(img)
    y = WIDTH + 10
    for line, size in caption(title, bot_username, lang):
        font = _font(size)
        w = draw.textlength(line, font=font)
        draw.text(((WIDTH - w) / 2, y), line, fill="black", font=font)
        y += size + 16
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()
