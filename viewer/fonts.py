"""Fonts: a system sans-serif for English, a system CJK font for Chinese, and a text cache.

Chinese needs a font that has the glyphs: WenQuanYi, Noto Sans CJK, Source Han Sans,
Droid Sans Fallback or AR PL on Linux (found with ``fc-list :lang=zh``), Microsoft YaHei,
SimHei or DengXian on Windows, PingFang or Heiti on macOS (found with
``pygame.font.match_font``). A font only counts if it really has the glyphs. Without one
the viewer shows English and says so once; nothing here raises.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import OrderedDict

import pygame

CJK_PREFERRED = ("wqy", "wenquanyi", "notosanscjk", "noto sans cjk", "sourcehansans", "source han sans",
                 "droidsansfallback", "uming", "ukai")
CJK_SYSTEM_NAMES = ("microsoftyahei", "microsoftyaheiui", "msyh", "dengxian", "simhei", "simsun", "pingfangsc",
                    "pingfang", "heitisc", "stheiti", "hiraginosansgb", "notosanscjksc", "notosanssc",
                    "wenquanyimicrohei", "wenquanyizenhei", "sourcehansanssc", "droidsansfallback", "arplumingcn")
LATIN_NAMES = "dejavusans,liberationsans,notosans,arial,helvetica,segoeui,verdana"
MONO_NAMES = "dejavusansmono,liberationmono,notosansmono,ubuntumono,consolas,couriernew,menlo,monaco"
SAMPLE_ZH = "传感器网关"


def _has_glyphs(path: str, text: str = SAMPLE_ZH) -> bool:
    try:
        metrics = pygame.font.Font(path, 14).metrics(text)
    except Exception:
        return False
    return bool(metrics) and all(m is not None for m in metrics)


def find_cjk_font() -> str | None:
    """A font file that draws Chinese, or None."""
    found: list[str] = []
    fc_list = shutil.which("fc-list")
    if fc_list:
        try:
            done = subprocess.run([fc_list, ":lang=zh", "file"], capture_output=True, text=True, timeout=3)
            found = [line.split(":")[0].strip() for line in done.stdout.splitlines() if line.strip()]
        except (OSError, subprocess.SubprocessError):
            found = []
        found.sort(key=lambda p: next((i for i, name in enumerate(CJK_PREFERRED) if name in p.lower()),
                                      len(CJK_PREFERRED)))
    for path in found:
        if _has_glyphs(path):
            return path
    try:
        path = pygame.font.match_font(",".join(CJK_SYSTEM_NAMES))
    except Exception:
        path = None
    return path if path and _has_glyphs(path) else None


def find_latin_font() -> str | None:
    try:
        return pygame.font.match_font(LATIN_NAMES)
    except Exception:
        return None


def find_mono_font() -> str | None:
    try:
        return pygame.font.match_font(MONO_NAMES)
    except Exception:
        return None


class Fonts:
    """Fonts in the sizes the viewer uses and a cache of rendered text. ``mono`` (a serial console's
    text) is a monospaced system font when there is one, else the text font."""

    SIZES = {"small": 12, "normal": 14, "title": 17, "mono": 12}

    def __init__(self, lang: str, scale: float = 1.0, cjk_path: str | None = None) -> None:
        if not pygame.font.get_init():
            pygame.font.init()
        self.note = ""
        self.lang = lang
        path = None
        if lang == "zh":
            path = cjk_path or find_cjk_font()
            if path is None:
                self.lang = "en"
                self.note = ("viewer: no Chinese font found (install fonts-noto-cjk or fonts-wqy-microhei); "
                             "labels are in English")
        if path is None:
            path = find_latin_font()
        self.path = path
        self._fonts: dict[tuple[str, bool], pygame.font.Font] = {}
        self._scale = scale
        self._cache: OrderedDict[tuple, pygame.Surface] = OrderedDict()

    def font(self, size: str = "normal", bold: bool = False) -> pygame.font.Font:
        key = (size, bold)
        font = self._fonts.get(key)
        if font is None:
            px = max(8, int(round(self.SIZES.get(size, 14) * self._scale)))
            path = self.path
            if size == "mono":
                path = find_mono_font() or self.path
            try:
                font = pygame.font.Font(path, px)
            except Exception:
                font = pygame.font.Font(None, int(px * 1.25))
            font.set_bold(bold)
            self._fonts[key] = font
        return font

    def text(self, text: str, size: str = "normal", colour=(0, 0, 0), bold: bool = False) -> pygame.Surface:
        key = (text, size, colour, bold)
        surface = self._cache.get(key)
        if surface is not None:
            self._cache.move_to_end(key)
            return surface
        try:
            surface = self.font(size, bold).render(text, True, colour)
        except Exception:                       # a character the font cannot draw, a NUL ...
            surface = self.font(size, bold).render(text.encode("ascii", "replace").decode(), True, colour)
        self._cache[key] = surface
        if len(self._cache) > 6000:
            self._cache.popitem(last=False)
        return surface

    def size(self, text: str, size: str = "normal", bold: bool = False) -> tuple[int, int]:
        return self.text(text, size, (0, 0, 0), bold).get_size()

    def line_height(self, size: str = "normal") -> int:
        return self.font(size).get_linesize()
