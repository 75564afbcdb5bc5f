"""Document → python-escpos calls: the bytes a receipt printer gets for one slip.

Rendering goes to escpos's ``Dummy`` (the library's way of building a job to send later), so
a job is one byte string that is sent whole through the connector, or not at all. Each job
starts with ``ESC @`` and forces the profile's code page, so a printer left in another state by
the POS prints our accents right.
"""

from __future__ import annotations

from escpos.escpos import Escpos
from escpos.printer import Dummy

from .document import QR, Barcode, Document, Feed, Pair, Rule, Text
from .errors import TemplateError
from .layout import columns_for, pair_lines, wrap
from .profiles import PrinterProfile

BARCODE_HEIGHT = 64  # dots: ~8 mm at 203 dpi, scannable from a phone screen or a slip


def render(document: Document, profile: PrinterProfile) -> bytes:
    """The ESC/POS bytes of ``document`` for a printer with ``profile``.

    :raises TemplateError: when a barcode does not fit the paper or its data is invalid.
    """
    printer = Dummy(profile=profile.escpos_profile())
    render_to(printer, document, profile)
    return bytes(printer.output)


def render_to(printer: Escpos, document: Document, profile: PrinterProfile) -> None:
    """Issue the escpos calls for ``document`` on ``printer``."""
    printer.hw("INIT")
    printer.charcode(profile.codepage)
    columns = profile.columns
    for block in document.blocks:
        if isinstance(block, Text):
            double_w = block.size in ("double_width", "double")
            double_h = block.size in ("double_height", "double")
            printer.set(
                align=block.align,
                bold=block.bold,
                underline=1 if block.underline else 0,
                normal_textsize=not (double_w or double_h),
                double_width=double_w,
                double_height=double_h,
            )
            for line in wrap(profile.fold(block.text), columns_for(block.size, columns)):
                printer.textln(line)
            printer.set(align="left", bold=False, underline=0, normal_textsize=True)
        elif isinstance(block, Pair):
            folded = Pair(profile.fold(block.left), profile.fold(block.right), block.bold)
            printer.set(align="left", bold=block.bold)
            for line in pair_lines(folded, columns):
                printer.textln(line)
            if block.bold:
                printer.set(bold=False)
        elif isinstance(block, Rule):
            printer.textln((block.char or "-")[0] * columns)
        elif isinstance(block, Barcode):
            _barcode(printer, block, profile)
        elif isinstance(block, QR):
            _qr(printer, block, profile)
        elif isinstance(block, Feed):
            printer.ln(block.lines)
    if document.cut and profile.cut:
        printer.cut()


def barcode_modules(block: Barcode) -> int:
    """Width of the symbol in modules (narrow bars), quiet zones excluded."""
    if block.symbology == "EAN13":
        return 95
    return 11 * len(block.data) + 35  # start, data, check, stop (Code 128 set B)


def check_barcode(block: Barcode, profile: PrinterProfile) -> int:
    """The module width in dots that fits the paper (2 or 3).

    :raises TemplateError: for data the symbology cannot carry or a code too wide.
    """
    data = block.data
    if block.symbology not in ("EAN13", "CODE128"):
        raise TemplateError(
            f"barcode symbology must be CODE128 or EAN13; got {block.symbology!r}",
            f"simbologia deve ser CODE128 ou EAN13; recebido {block.symbology!r}",
        )
    if block.symbology == "EAN13":
        ok = data.isdigit() and len(data) in (12, 13)
    else:
        ok = 0 < len(data) <= 40 and all(32 <= ord(c) < 127 for c in data)
    if not ok:
        raise TemplateError(
            f"{block.symbology} cannot encode {data!r}",
            f"{block.symbology} não codifica {data!r}",
        )
    modules = barcode_modules(block)
    for width in (3, 2):
        if modules * width <= profile.width_px:
            return width
    raise TemplateError(
        f"barcode {data!r} is too wide for {profile.paper_mm} mm paper; use a QR code",
        f"código de barras {data!r} largo demais para papel de {profile.paper_mm} mm; use QR",
    )


def _barcode(printer: Escpos, block: Barcode, profile: PrinterProfile) -> None:
    width = check_barcode(block, profile)
    code = block.data if block.symbology == "EAN13" else "{B" + block.data
    # _hw_barcode is the printer-drawn path of Escpos.barcode(); calling it directly skips the
    # library's print() to stdout ("Using hardware barcode renderer") inside the agent daemon.
    printer._hw_barcode(code, block.symbology, BARCODE_HEIGHT, width, "BELOW", "A", True)
    printer.ln()
    printer.set(align="left")


def _qr(printer: Escpos, block: QR, profile: PrinterProfile) -> None:
    if not block.data or not 1 <= block.size <= 16:
        raise TemplateError(
            f"QR needs data and a size 1-16; got {block.data!r}, size {block.size}",
            f"QR precisa de dados e tamanho 1-16; recebido {block.data!r}, tamanho {block.size}",
        )
    if profile.qr == "native":
        printer.set(align="center")  # ESC a also places GS ( k symbols on ESC/POS heads
        printer.qr(block.data, size=block.size, native=True)
        printer.ln()
        printer.set(align="left")
    else:
        printer.qr(block.data, size=block.size, native=False, center=True)
