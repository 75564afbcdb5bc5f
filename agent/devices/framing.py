"""Cut the byte stream of a scanner into reads: a pure framer, fed bytes and the time.

Scanners end each code with a suffix (CR, LF or CRLF) or with nothing, in which case a pause
longer than the inter-character timeout ends the code. The framer never touches a port or a
clock: the caller passes the bytes and ``now`` (seconds, monotonic), like pyserial's
``serial.threaded.LineReader`` but testable without a thread.

What it guarantees:

* a read is *complete* only when its suffix arrived (or, with no suffix, when the pause came);
* bytes that stop before the suffix for longer than the timeout are a *partial* read, never
  glued to the next code (a half-read ``TC12345`` must not become member ``TC123``);
* a run of bytes longer than ``max_length`` without a suffix is *overflow* (line noise), and
  everything up to the next suffix or pause is thrown away with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .errors import ScannerConfigError

# Stray CR/LF at the edges of a read come from a scanner set to CRLF while the till expects CR
# (or the other way round); they are not part of the code.
_EDGE = b"\r\n"


class Suffix(Enum):
    """What the scanner sends after each code (its "terminator" or "suffix" setting)."""

    CR = "cr"
    LF = "lf"
    CRLF = "crlf"
    NONE = "none"

    @property
    def terminator(self) -> bytes | None:
        return {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n", "none": None}[self.value]

    @classmethod
    def parse(cls, value: str | Suffix) -> Suffix:
        """``"CR"``, ``"lf"``, ``"CRLF"``, ``"none"`` → a ``Suffix``.

        :raises ScannerConfigError: naming the value for anything else.
        """
        if isinstance(value, Suffix):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise ScannerConfigError(
                f"scanner suffix must be one of CR, LF, CRLF, none; got {value!r}",
                f"sufixo do leitor deve ser CR, LF, CRLF ou none; recebido {value!r}",
            ) from None


@dataclass(frozen=True)
class Frame:
    """One read cut from the stream. ``reason`` is ``""`` when complete."""

    data: bytes
    complete: bool
    reason: str = ""


class Framer:
    """Feed it bytes with the time they arrived; it returns the reads they complete.

    :param suffix: the scanner's suffix; ``Suffix.NONE`` ends reads by the timeout alone.
    :param inter_char_timeout: seconds of silence after which pending bytes end: as a complete
        read without a suffix, as a partial read with one.
    :param max_length: the longest read accepted; longer runs are overflow.
    """

    def __init__(
        self,
        suffix: Suffix = Suffix.CR,
        inter_char_timeout: float = 0.1,
        max_length: int = 512,
    ) -> None:
        if not inter_char_timeout > 0:
            raise ScannerConfigError(
                f"inter-character timeout must be > 0 seconds; got {inter_char_timeout!r}",
                f"intervalo entre caracteres deve ser > 0 s; recebido {inter_char_timeout!r}",
            )
        if max_length < 1:
            raise ScannerConfigError(
                f"max_length must be >= 1; got {max_length!r}",
                f"max_length deve ser >= 1; recebido {max_length!r}",
            )
        self.suffix = suffix
        self.timeout = inter_char_timeout
        self.max_length = max_length
        self._buffer = bytearray()
        self._last_at: float | None = None
        self._discarding = False

    @property
    def deadline(self) -> float | None:
        """When ``poll`` should next be called, or ``None`` when nothing is pending."""
        if self._last_at is None:
            return None
        return self._last_at + self.timeout

    def feed(self, data: bytes, now: float) -> list[Frame]:
        """Add ``data`` received at ``now``; return the reads it completed, in order."""
        frames = self.poll(now)
        if not data:
            return frames
        self._last_at = now
        self._buffer.extend(data)
        terminator = self.suffix.terminator
        if terminator is not None:
            while True:
                end = self._buffer.find(terminator)
                if end < 0:
                    break
                chunk = bytes(self._buffer[:end])
                del self._buffer[: end + len(terminator)]
                if self._discarding:
                    self._discarding = False  # the noise ended with this suffix
                    continue
                frames.extend(self._emit(chunk, complete=True))
        frames.extend(self._check_overflow())
        if not self._buffer and not self._discarding:
            self._last_at = None
        return frames

    def poll(self, now: float) -> list[Frame]:
        """Return the pending read if the line has been silent longer than the timeout."""
        if self._last_at is None or now - self._last_at <= self.timeout:
            return []
        return self.flush()

    def flush(self) -> list[Frame]:
        """End whatever is pending now (port closed, scanner unplugged)."""
        chunk = bytes(self._buffer)
        discarding = self._discarding
        self._buffer.clear()
        self._last_at = None
        self._discarding = False
        if discarding:
            return []
        complete = self.suffix is Suffix.NONE
        return self._emit(chunk, complete=complete, reason="" if complete else "partial")

    def _check_overflow(self) -> list[Frame]:
        if len(self._buffer) <= self.max_length:
            return []
        if self._discarding:
            self._buffer.clear()
            return []
        chunk = bytes(self._buffer[: self.max_length])
        self._buffer.clear()
        self._discarding = True
        return [Frame(chunk, complete=False, reason="overflow")]

    @staticmethod
    def _emit(chunk: bytes, *, complete: bool, reason: str = "") -> list[Frame]:
        chunk = chunk.strip(_EDGE)
        if not chunk:
            return []  # a blank line (CRLF scanner on a CR setting) is no read at all
        return [Frame(chunk, complete=complete, reason=reason)]
