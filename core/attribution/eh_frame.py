"""Function ranges from ``.eh_frame`` FDE headers, for binaries stripped of their symbol table.

Only the FDE header (``pc_begin``, ``pc_range``) and the CIE's pointer encoding are read; the call-frame
instructions are skipped. That is all attribution needs, gives the same ranges, and is ~80x faster than
decoding every FDE through pyelftools. Every read is bounds-checked: the section comes from an untrusted file.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

_OMIT = 0xFF
_FIXED_FORMATS = {0x00: "<Q", 0x02: "<H", 0x03: "<I", 0x04: "<Q", 0x0A: "<h", 0x0B: "<i", 0x0C: "<q"}
_PCREL = 0x10


class EhFrameError(ValueError):
    """The section is malformed where it matters (a CIE or FDE header)."""


def _uleb128(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise EhFrameError("unterminated LEB128 value")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def _sleb128(data: bytes, pos: int) -> tuple[int, int]:
    start = pos
    value, pos = _uleb128(data, pos)
    bits = 7 * (pos - start)
    if value & (1 << (bits - 1)):
        value -= 1 << bits
    return value, pos


def _encoded(data: bytes, pos: int, encoding: int, section_address: int) -> tuple[int, int]:
    """Read a DW_EH_PE-encoded pointer at ``pos``; returns (value, next position)."""
    fmt = encoding & 0x0F
    if fmt == 0x01:
        value, end = _uleb128(data, pos)
    elif fmt == 0x09:
        value, end = _sleb128(data, pos)
    elif fmt in _FIXED_FORMATS:
        code = _FIXED_FORMATS[fmt]
        end = pos + struct.calcsize(code)
        if end > len(data):
            raise EhFrameError("pointer beyond the end of .eh_frame")
        (value,) = struct.unpack_from(code, data, pos)
    else:
        raise EhFrameError(f"unsupported pointer encoding 0x{encoding:02x}")
    if encoding & 0x70 == _PCREL:
        value += section_address + pos
    return value & 0xFFFFFFFFFFFFFFFF, end


def _cie_pointer_encoding(data: bytes, pos: int, end: int, section_address: int) -> int:
    """The FDE pointer encoding ('R' augmentation) of the CIE whose body starts at ``pos``."""
    version = data[pos]
    aug_end = data.find(b"\0", pos + 1, end)
    if aug_end < 0:
        raise EhFrameError("unterminated CIE augmentation string")
    augmentation = data[pos + 1 : aug_end].decode("ascii", "replace")
    pos = aug_end + 1
    if "eh" in augmentation:
        pos += 8
    _, pos = _uleb128(data, pos)  # code alignment
    _, pos = _sleb128(data, pos)  # data alignment
    pos = pos + 1 if version == 1 else _uleb128(data, pos)[1]  # return address register
    if not augmentation.startswith("z"):
        return 0
    _, pos = _uleb128(data, pos)  # augmentation data length
    for char in augmentation[1:]:
        if pos >= end:
            raise EhFrameError("CIE augmentation data beyond its entry")
        if char == "R":
            return data[pos]
        if char == "P":
            personality_encoding = data[pos]
            _, pos = _encoded(data, pos + 1, personality_encoding & 0x7F, section_address)
        elif char == "L":
            pos += 1
        elif char not in "SB":
            break
    return 0


def _fdes(data: bytes, section_address: int) -> Iterator[tuple[int, int]]:
    encodings: dict[int, int] = {}
    pos = 0
    while pos + 4 <= len(data):
        (length,) = struct.unpack_from("<I", data, pos)
        if length == 0:
            return
        header = 4
        if length == 0xFFFFFFFF:
            if pos + 12 > len(data):
                raise EhFrameError("truncated 64-bit entry length")
            (length,) = struct.unpack_from("<Q", data, pos + 4)
            header = 12
        body = pos + header
        end = body + length
        if end > len(data) or length < 4:
            raise EhFrameError("entry runs past the end of .eh_frame")
        (cie_id,) = struct.unpack_from("<I", data, body)
        if cie_id == 0:
            encodings[pos] = _cie_pointer_encoding(data, body + 4, end, section_address)
        else:
            encoding = encodings.get(body - cie_id)
            if encoding is None:
                raise EhFrameError("FDE refers to an unknown CIE")
            if encoding != _OMIT:
                start, after = _encoded(data, body + 4, encoding, section_address)
                size, _ = _encoded(data, after, encoding & 0x0F, section_address)
                yield start, size
        pos = end


def fde_ranges(data: bytes, section_address: int, limit: int) -> tuple[list[tuple[int, int]], str | None]:
    """(start address, size) of up to ``limit`` FDEs in section order, and the problem that stopped
    the walk early, if any (the entries read before it are still good)."""
    ranges: list[tuple[int, int]] = []
    try:
        for entry in _fdes(data, section_address):
            ranges.append(entry)
            if len(ranges) >= limit:
                return ranges, f"stopped after {limit} entries"
    except (EhFrameError, IndexError, struct.error) as exc:
        return ranges, str(exc) or type(exc).__name__
    return ranges, None
