"""A thermal printer on a TCP socket, for the demo: it keeps each job as bytes, text and PNG.

It reads the ESC/POS stream as a real printer does: commands change state (code page, bold,
alignment), text is decoded with the selected code page, barcodes and QR codes are shown as
``[CODE128 …]`` / ``[QR …]``, and a cut ends the job. The text is what the shopper got.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

_CODEPAGES = {0: "cp437", 2: "cp850", 3: "cp860", 16: "cp1252", 19: "cp858"}
# ESC commands with one parameter byte; GS likewise.
_ESC_1 = set(b"!-2aEGMRSt{dJcVv=r3")
_GS_1 = set(b"!BHIbfhwaV")


@dataclass
class _State:
    codepage: str = "cp437"
    lines: list[str] = field(default_factory=list)
    current: bytearray = field(default_factory=bytearray)

    def flush(self) -> None:
        self.lines.append(self.current.decode(self.codepage, errors="replace"))
        self.current = bytearray()


def decode(data: bytes) -> list[str]:
    """The printed lines of one ESC/POS job (commands interpreted, not printed)."""
    st = _State()
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b == 0x0A:
            st.flush()
            i += 1
        elif b == 0x1B and i + 1 < n:  # ESC
            cmd = data[i + 1]
            if cmd == ord("t") and i + 2 < n:
                st.codepage = _CODEPAGES.get(data[i + 2], "cp437")
            if cmd == ord("d"):
                st.flush()
            i += 3 if cmd in _ESC_1 else 2
        elif b == 0x1D and i + 1 < n:  # GS
            cmd = data[i + 1]
            if cmd == ord("k"):
                i = _barcode(data, i, st)
            elif cmd == ord("(") and i + 4 < n and data[i + 2] == ord("k"):
                i = _qr(data, i, st)
            elif cmd == ord("V"):
                i += 4 if i + 2 < n and data[i + 2] in (65, 66) else 3
            elif cmd == ord("v") and i + 7 < n:  # raster image: skip its bytes
                width, height = data[i + 4] + 256 * data[i + 5], data[i + 6] + 256 * data[i + 7]
                st.lines.append("[imagem]")
                i += 8 + width * height
            else:
                i += 3 if cmd in _GS_1 else 2
        elif b < 0x20:
            i += 1
        else:
            st.current.append(b)
            i += 1
    if st.current:
        st.flush()
    return st.lines


def _barcode(data: bytes, i: int, st: _State) -> int:
    kind = data[i + 2]
    if kind >= 65:  # GS k m n d1..dn
        length = data[i + 3]
        payload = data[i + 4 : i + 4 + length]
        end = i + 4 + length
    else:  # GS k m d1..dk NUL
        stop = data.index(0, i + 3)
        payload, end = data[i + 3 : stop], stop + 1
    text = payload.decode("ascii", errors="replace")
    if kind == 73 and text.startswith("{B"):
        text = text[2:]
    name = {67: "EAN13", 73: "CODE128", 2: "EAN13"}.get(kind, f"BARCODE{kind}")
    st.lines.append(f"[{name} {text}]")
    return end


def _qr(data: bytes, i: int, st: _State) -> int:
    length = data[i + 3] + 256 * data[i + 4]
    body = data[i + 5 : i + 5 + length]
    if body[:3] == b"1P0":  # store the data: cn=49 fn=80 m=48
        st.lines.append(f"[QR {body[3:].decode('utf-8', errors='replace')}]")
    return i + 5 + length


def to_png(lines: list[str], path: Path) -> None:
    font = ImageFont.load_default()
    width = max([len(x) for x in lines] + [32]) * 6 + 16
    image = Image.new("L", (width, len(lines) * 12 + 16), 255)
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        draw.text((8, 8 + row * 12), line.encode("latin-1", "replace").decode("latin-1"),
                  fill=0, font=font)  # fmt: skip
    image.save(path)


class VirtualPrinter:
    """Listens on 127.0.0.1; every connection's bytes are one or more jobs (split at cuts)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.jobs: list[Path] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, name="virtual-printer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.sock.close()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                chunks = []
                while chunk := conn.recv(65536):
                    chunks.append(chunk)
            if chunks:
                self._save(b"".join(chunks))

    def _save(self, data: bytes) -> None:
        with self._lock:
            number = len(self.jobs) + 1
            stem = self.folder / f"receipt-{number:03d}"
            stem.with_suffix(".bin").write_bytes(data)
            lines = decode(data)
            stem.with_suffix(".txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
            to_png(lines, stem.with_suffix(".png"))
            self.jobs.append(stem.with_suffix(".txt"))
