"""Printable QR posters that open the bot on an entry: the code, with the entry's title under it."""

from __future__ import annotations

import io
import textwrap
from functools import cache
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

WIDTH = 800
CAPTION = 200  # pixels of caption below the code
BORDER = 4  # quiet zone, in modules


def deep_link(bot_username: str, payload: str) -> str:
    return f"https://t.me/{bot_username.lstrip('@')}?start={payload}"


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


def poster(url: str, title: str) -> bytes:
    """A PNG: the QR code for ``url`` (error correction M) with ``title`` under it."""
    qr = segno.make(url, error="m", micro=False)
    _side, scale = module_geometry(url)
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=scale, border=BORDER)
    code = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    img = Image.new("RGB", (WIDTH, WIDTH + CAPTION), "white")
    offset = (WIDTH - code.width) // 2
    img.paste(code, (offset, offset))
    draw = ImageDraw.Draw(img)
    font = _font(34)
    lines = textwrap.wrap(title, width=36)[:3]
    y = WIDTH + 10
    for line in lines:
        w = draw.textlength(line, font=font)
        draw.text(((WIDTH - w) / 2, y), line, fill="black", font=font)
        y += 44
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()
