"""Which text encoding a partner file is in, decided line by line.

Partners send UTF-8, UTF-8 with a byte-order mark, or Shift_JIS as Windows writes
it (CP932, a superset of Shift_JIS: ①, ㈱, 髙 only exist in CP932, so both names
decode as CP932), and older Unix systems EUC-JP. A file is detected from its first
line that is not plain ASCII: ASCII reads the same in all of them, so nothing read
before that line changes meaning. A partner can pin the encoding instead
(``encoding`` in its settings).

EUC-JP bytes also decode as CP932, into half-width katakana and odd kanji, so a line is
taken for EUC-JP when it has EUC-JP's shape (no byte in 0x80-0xA0 but the single-shift
0x8E/0x8F; CP932's hiragana, katakana and most kanji lead with exactly those bytes), decodes
as EUC-JP, and holds kana there. A kanji-only EUC-JP line cannot be told from half-width
katakana in CP932: such a partner pins ``euc-jp``.

Splitting on ``\\n`` bytes is safe in every supported encoding: in CP932 the
second byte of a double-byte character is never below 0x40.
"""

from __future__ import annotations

import codecs

AUTO = "auto"  # not decided yet: every line so far was ASCII
UTF8 = "utf-8"
CP932 = "cp932"
EUC_JP = "euc_jp"
BOM = codecs.BOM_UTF8

# How error messages name each codec.
_NAMES = {UTF8: "UTF-8", CP932: "Shift_JIS (CP932)", EUC_JP: "EUC-JP"}

# What partners may write in their settings -> the codec we decode with.
ALIASES = {
    "auto": AUTO,
    "utf-8": UTF8,
    "utf8": UTF8,
    "utf-8-sig": UTF8,
    "cp932": CP932,
    "ms932": CP932,
    "windows-31j": CP932,
    "shift_jis": CP932,
    "shift-jis": CP932,
    "sjis": CP932,
    "euc-jp": EUC_JP,
    "euc_jp": EUC_JP,
    "eucjp": EUC_JP,
}


class UnknownEncoding(ValueError):
    """A partner setting names an encoding xsell does not read."""


def canonical(name: str) -> str:
    """The codec for an encoding name from partner settings."""
    try:
        return ALIASES[name.strip().lower()]
    except KeyError as exc:
        raise UnknownEncoding(
            f"unsupported encoding {name!r}: use auto, utf-8, cp932 (Shift_JIS) or euc-jp"
        ) from exc


# (text, why the line is not trustworthy text or None)
Decoded = tuple[str, str | None]


class LineDecoder:
    """Decodes one physical line at a time and settles the file's encoding."""

    def __init__(self, encoding: str = AUTO) -> None:
        self.encoding = canonical(encoding)

    def decode(self, line: bytes) -> Decoded:
        """Text of one line, and why it cannot be trusted (None when it can)."""
        if line.isascii():
            return line.decode("ascii"), None
        encoding = self.encoding
        if encoding == AUTO:
            return self._detect(line)
        if encoding == CP932:
            return self._expect_cp932(line)
        try:  # UTF-8 or EUC-JP, settled: the usual line decodes at the first try
            return line.decode(encoding), None
        except UnicodeDecodeError:
            return self._expect(line, encoding, _NAMES[encoding])

    def _detect(self, line: bytes) -> Decoded:
        try:
            text = line.decode(UTF8)
        except UnicodeDecodeError:
            pass
        else:
            self.encoding = UTF8
            return text, None
        euc = _as_euc_jp(line)
        if euc is not None:
            self.encoding = EUC_JP
            return euc, None
        try:
            text = line.decode(CP932)
        except UnicodeDecodeError as exc:
            return (
                line.decode(UTF8, "replace"),
                f"not UTF-8, Shift_JIS (CP932) or EUC-JP text (byte 0x{line[exc.start]:02X} "
                f"at position {exc.start + 1} of the line)",
            )
        self.encoding = CP932
        return text, None

    def _expect_cp932(self, line: bytes) -> Decoded:
        # Valid UTF-8 with non-ASCII characters is practically never real CP932 text
        # (CP932 lead bytes 0x81-0x9F are UTF-8 continuation bytes): a UTF-8 line
        # pasted into a Shift_JIS file would otherwise decode silently as mojibake.
        try:
            text = line.decode(UTF8)
        except UnicodeDecodeError:
            pass
        else:
            return text, "UTF-8 text in a Shift_JIS (CP932) file: the file mixes encodings"
        try:
            return line.decode(CP932), None
        except UnicodeDecodeError:
            return self._expect(line, CP932, _NAMES[CP932])

    def _expect(self, line: bytes, codec: str, name: str) -> Decoded:
        try:
            return line.decode(codec), None
        except UnicodeDecodeError as exc:
            return (
                line.decode(codec, "replace"),
                f"not {name} text like the rest of the file (byte 0x{line[exc.start]:02X} at position "
                f"{exc.start + 1} of the line): the file mixes encodings",
            )


_C1 = frozenset(range(0x80, 0xA1)) - {0x8E, 0x8F}  # never in EUC-JP but as single shifts


def _as_euc_jp(line: bytes) -> str | None:
    """The line as EUC-JP text when it can only sensibly be that (see the module docstring)."""
    if any(byte in _C1 for byte in line):
        return None
    try:
        text = line.decode(EUC_JP)
    except UnicodeDecodeError:
        return None
    has_kana = any("\u3041" <= ch <= "\u30ff" for ch in text)
    return text if has_kana else None
