"""Document → plain text and PNG, laid out as the printer lays it out.

The demo, the admin UI and the README show what the shopper gets. The PNG uses Pillow's
built-in bitmap font (``ImageFont.load_default_imagefont``, 6×11 px, the same on every machine)
and draws barcodes and QR codes module by module, so a golden image compares pixel-exactly
across machines. One text column is 6 px; the paper is ``columns × 6`` px plus margins.
"""

from __future__ import annotations

from functools import cache

import barcode
import qrcode
from PIL import Image, ImageDraw, ImageFont

from .document import QR, Barcode, Document, Feed, Pair, Rule, Text
from .layout import aligned, columns_for, pair_lines, wrap
from .profiles import PrinterProfile

CHAR_W, CHAR_H, LINE_H, MARGIN = 6, 11, 13, 8
BAR_H = 32
CUT_MARK = "- - 8< - -"


def _latin1(text: str) -> str:
    # The bitmap font is Latin-1; anything the code page kept beyond it shows as "?".
    return text.encode("latin-1", "replace").decode("latin-1")


def _widen(line: str) -> str:
    return "".join(c + " " for c in line).rstrip()


def to_text(document: Document, profile: PrinterProfile) -> str:
    """The slip as monospaced text, ``profile.columns`` wide; codes shown as ``[QR …]``."""
    cols = profile.columns
    out: list[str] = []
    for block in document.blocks:
        if isinstance(block, Text):
            width = columns_for(block.size, cols)
            double = width != cols
            for line in wrap(profile.fold(block.text), width):
                placed = aligned(line, width, block.align)
                out.append(_widen(placed) if double else placed)
        elif isinstance(block, Pair):
            out += pair_lines(Pair(profile.fold(block.left), profile.fold(block.right)), cols)
        elif isinstance(block, Rule):
            out.append((block.char or "-")[0] * cols)
        elif isinstance(block, Barcode):
            out.append(aligned(f"[{block.symbology} {block.data}]", cols, "center"))
        elif isinstance(block, QR):
            out.append(aligned(f"[QR {block.data}]", cols, "center"))
        elif isinstance(block, Feed):
            out += [""] * block.lines
    if document.cut and profile.cut:
        out.append(aligned(CUT_MARK, cols, "center"))
    return "\n".join(line.rstrip() for line in out) + "\n"


@cache
def _font() -> ImageFont.ImageFont:
    return ImageFont.load_default_imagefont()


def _text_image(line: str, bold: bool, underline: bool) -> Image.Image:
    image = Image.new("L", (max(1, len(line) * CHAR_W + 1), CHAR_H + 1), 255)
    draw = ImageDraw.Draw(image)
    draw.text((0, 0), _latin1(line), font=_font(), fill=0)
    if bold:  # emphasised mode on a thermal head: each dot struck twice, one dot apart
        draw.text((1, 0), _latin1(line), font=_font(), fill=0)
    if underline:
        draw.line((0, CHAR_H, len(line) * CHAR_W, CHAR_H), fill=0)
    return image


class _Canvas:
    def __init__(self, profile: PrinterProfile) -> None:
        self.profile = profile
        self.width = profile.columns * CHAR_W + 2 * MARGIN
        self.parts: list[tuple[Image.Image, int]] = []  # (image, x)

    @property
    def dot(self) -> float:
        """Preview pixels per printer dot."""
        return self.profile.columns * CHAR_W / self.profile.width_px

    def line(
        self,
        text: str,
        align: str = "left",
        bold: bool = False,
        underline: bool = False,
        scale: tuple[int, int] = (1, 1),
    ) -> None:
        image = _text_image(text, bold, underline)
        if scale != (1, 1):
            image = image.resize(
                (image.width * scale[0], image.height * scale[1]), Image.Resampling.NEAREST
            )
        self.place(image, align, pad=LINE_H * scale[1] - image.height)

    def place(self, image: Image.Image, align: str, pad: int = 2) -> None:
        inner = self.width - 2 * MARGIN
        x = MARGIN
        if align == "center":
            x += max(0, (inner - image.width) // 2)
        elif align == "right":
            x += max(0, inner - image.width)
        if pad > 0:
            padded = Image.new("L", (image.width, image.height + pad), 255)
            padded.paste(image, (0, 0))
            image = padded
        self.parts.append((image, x))

    def render(self) -> Image.Image:
        height = sum(img.height for img, _ in self.parts) + 2 * MARGIN
        page = Image.new("L", (self.width, height), 255)
        y = MARGIN
        for img, x in self.parts:
            page.paste(img, (x, y))
            y += img.height
        return page


def _bars(modules: str, module_px: int) -> Image.Image:
    image = Image.new("L", (len(modules) * module_px, BAR_H), 255)
    draw = ImageDraw.Draw(image)
    for i, bit in enumerate(modules):
        if bit == "1":
            draw.rectangle((i * module_px, 0, (i + 1) * module_px - 1, BAR_H - 1), fill=0)
    return image


def _qr_image(data: str, box_px: int) -> Image.Image:
    code = qrcode.QRCode(border=1, box_size=1, error_correction=qrcode.constants.ERROR_CORRECT_L)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    image = Image.new("L", (len(matrix) * box_px, len(matrix) * box_px), 255)
    draw = ImageDraw.Draw(image)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                draw.rectangle(
                    (x * box_px, y * box_px, (x + 1) * box_px - 1, (y + 1) * box_px - 1), fill=0
                )
    return image


def to_png(document: Document, profile: PrinterProfile) -> Image.Image:
    """The slip as a grayscale image (save it with ``.save(path, "PNG")``)."""
    canvas = _Canvas(profile)
    cols = profile.columns
    for block in document.blocks:
        if isinstance(block, Text):
            sx = 2 if block.size in ("double_width", "double") else 1
            sy = 2 if block.size in ("double_height", "double") else 1
            for line in wrap(profile.fold(block.text), columns_for(block.size, cols)):
                canvas.line(line, block.align, block.bold, block.underline, (sx, sy))
        elif isinstance(block, Pair):
            folded = Pair(profile.fold(block.left), profile.fold(block.right))
            for line in pair_lines(folded, cols):
                canvas.line(line, bold=block.bold)
        elif isinstance(block, Rule):
            canvas.line((block.char or "-")[0] * cols)
        elif isinstance(block, Barcode):
            if block.symbology == "EAN13":
                modules = barcode.get_barcode_class("ean13")(block.data[:12]).build()[0]
            else:
                modules = barcode.get_barcode_class("code128")(block.data).build()[0]
            canvas.place(_bars(modules, max(1, round(2 * canvas.dot))), "center")
            canvas.line(block.data, "center")
        elif isinstance(block, QR):
            canvas.place(_qr_image(block.data, max(1, round(block.size * canvas.dot))), "center")
        elif isinstance(block, Feed):
            for _ in range(block.lines):
                canvas.line("")
    if document.cut and profile.cut:
        canvas.line(CUT_MARK, "center")
    return canvas.render()
