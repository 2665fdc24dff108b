"""Phase 1 of the function-similarity model: ELF x86-64 → functions as normalized instruction tokens.

Boundaries come from the symbol table when it has sized functions, else from ``.eh_frame`` FDEs (present
in nearly every stripped x86-64 binary), else from exported ``.dynsym`` functions. Each function is
disassembled with capstone's light API (no per-operand detail objects: ~10x faster) and normalized by
``normalize.normalize_instruction``. The input is untrusted: every offset is bounds-checked, functions
are clipped so they never overlap (total work stays ≤ the size of the code), and the number of functions
is capped. Anything this model cannot read raises ``NotApplicable`` with a reason for the user.
"""

from __future__ import annotations

import bisect
import io
import struct
from dataclasses import dataclass, field, replace

import capstone
import numpy as np
from elftools.elf.elffile import ELFFile
from elftools.elf.enums import ENUM_SH_TYPE_BASE

from core.attribution.eh_frame import fde_ranges
from core.attribution.normalize import normalize_instruction

DEFAULT_MAX_FUNCTIONS = 50_000
_FDE_LIMIT = 2_000_000
_WORK_PER_FILE_BYTE = 2
_EM_X86_64 = 62
_ET_REL = 1
_MACHINES = {
    2: "SPARC",
    3: "i386",
    8: "MIPS",
    20: "PowerPC",
    21: "PowerPC64",
    22: "S/390",
    40: "ARM",
    43: "SPARC V9",
    50: "IA-64",
    62: "x86-64",
    183: "AArch64",
    243: "RISC-V",
    258: "LoongArch",
}
_SHT_NOBITS, _SHT_SYMTAB, _SHT_DYNSYM = 8, 2, 11
_SHF_EXECINSTR = 0x4
_STT_FUNC, _STT_GNU_IFUNC = 2, 10
_SHN_LORESERVE = 0xFF00
_SYMBOL = np.dtype(
    [("name", "<u4"), ("info", "u1"), ("other", "u1"), ("shndx", "<u2"), ("value", "<u8"), ("size", "<u8")]
)


class NotApplicable(Exception):
    """The model cannot analyse this file; ``reason`` says why in words a user understands."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Function:
    """One function: where it is and its normalized instruction tokens."""

    address: int
    size: int
    name: str | None
    tokens: list[str]


@dataclass(frozen=True)
class ExtractedFunctions:
    """Phase-1 output: the functions, how their boundaries were found, and anything worth noting."""

    functions: list[Function]
    arch: str
    source: str  # "symbols" | "eh_frame"
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Section:
    name: str
    kind: int
    flags: int
    address: int
    offset: int
    size: int
    link: int

    def content(self, data: bytes) -> bytes:
        """The section bytes present in the file (short if the file is truncated)."""
        if self.kind == _SHT_NOBITS:
            return b""
        return data[self.offset : self.offset + self.size]


def _check_header(data: bytes) -> None:
    if not data:
        raise NotApplicable("empty file")
    if not data.startswith(b"\x7fELF"):
        raise NotApplicable("not an ELF file")
    if len(data) < 64:
        raise NotApplicable(f"truncated ELF header ({len(data)} of 64 bytes)")
    order = "<" if data[5] == 1 else ">"
    (machine,) = struct.unpack_from(order + "H", data, 18)
    if data[4] != 2 or machine != _EM_X86_64:
        bits = {1: "32-bit", 2: "64-bit"}.get(data[4], "unknown-class")
        arch = _MACHINES.get(machine, f"machine {machine}")
        raise NotApplicable(f"ELF for {arch} ({bits}); only x86-64 is supported")
    (shoff,) = struct.unpack_from("<Q", data, 40)
    shentsize, shnum = struct.unpack_from("<HH", data, 58)
    if shoff == 0 or shnum == 0:
        raise NotApplicable("ELF without section headers")
    if shentsize != 64 or shoff + shnum * 64 > len(data):
        raise NotApplicable("truncated or malformed ELF: section headers lie beyond the end of the file")


def _sections(data: bytes) -> list[_Section]:
    try:
        elf = ELFFile(io.BytesIO(data))
        return [
            _Section(
                s.name,
                _section_type(s["sh_type"]),
                s["sh_flags"],
                s["sh_addr"],
                s["sh_offset"],
                s["sh_size"],
                s["sh_link"],
            )
            for s in elf.iter_sections()
        ]
    except Exception as exc:  # untrusted input: any parser failure means a malformed file
        raise NotApplicable(f"malformed ELF section table ({type(exc).__name__})") from exc


def _section_type(value: int | str) -> int:
    """pyelftools decodes known section types to names; numbers are what we compare."""
    return value if isinstance(value, int) else ENUM_SH_TYPE_BASE.get(value, -1)


def _c_string(table: bytes, offset: int) -> str:
    end = table.find(b"\0", offset)
    return table[offset : end if end >= 0 else len(table)].decode("utf-8", "replace")


def _symbols(data: bytes, sections: list[_Section], kind: int) -> tuple[np.ndarray, bytes]:
    """All symbols of the first section of ``kind`` (numpy: fast even for 10^6 entries) and its strings."""
    for section in sections:
        if section.kind == kind and 0 <= section.link < len(sections):
            raw = section.content(data)
            table = np.frombuffer(raw[: len(raw) // _SYMBOL.itemsize * _SYMBOL.itemsize], dtype=_SYMBOL)
            return table, sections[section.link].content(data)
    return np.zeros(0, dtype=_SYMBOL), b""


def _sized_functions(
    symbols: np.ndarray, strings: bytes, section_base: np.ndarray | None = None
) -> list[tuple[int, int, str | None]]:
    """Defined, sized function symbols. In a relocatable object a symbol's value is an offset into its
    section, so ``section_base`` (file offset per section) turns it into a unique file-offset address."""
    kind = symbols["info"] & 0xF
    keep = ((kind == _STT_FUNC) | (kind == _STT_GNU_IFUNC)) & (symbols["shndx"] != 0)
    keep &= (symbols["shndx"] < _SHN_LORESERVE) & (symbols["size"] > 0)
    chosen = symbols[keep]
    addresses = chosen["value"].astype(np.uint64)
    if section_base is not None:
        inside = chosen["shndx"] < len(section_base)
        chosen, addresses = chosen[inside], addresses[inside] + section_base[chosen["shndx"][inside]]
    return [
        (address, size, _c_string(strings, name) or None)
        for address, size, name in zip(
            addresses.tolist(), chosen["size"].tolist(), chosen["name"].tolist(), strict=True
        )
    ]


def _boundaries(
    data: bytes, sections: list[_Section], notes: list[str]
) -> tuple[list[tuple[int, int, str | None]], str]:
    symtab, strtab = _symbols(data, sections, _SHT_SYMTAB)
    if _is_relocatable(data):  # unlinked: .eh_frame addresses are unresolved relocations, symbols are not
        return _sized_functions(symtab, strtab, np.array([s.offset for s in sections], dtype=np.uint64)), "symbols"
    from_symtab = _sized_functions(symtab, strtab)
    if from_symtab:
        return from_symtab, "symbols"
    dynsym, dynstr = _symbols(data, sections, _SHT_DYNSYM)
    exported = _sized_functions(dynsym, dynstr)
    names = {address: name for address, _, name in exported}
    for section in sections:
        if section.name == ".eh_frame" and section.kind != _SHT_NOBITS:
            ranges, problem = fde_ranges(section.content(data), section.address, _FDE_LIMIT)
            if problem:
                notes.append(f".eh_frame partly unreadable ({problem}); used the {len(ranges)} entries before it")
            if ranges:
                return [(start, size, names.get(start)) for start, size in ranges], "eh_frame"
    return exported, "symbols"


def _is_relocatable(data: bytes) -> bool:
    return struct.unpack_from("<H", data, 16)[0] == _ET_REL


def _place_in_code(
    candidates: list[tuple[int, int, str | None]], sections: list[_Section], data_size: int
) -> list[tuple[int, int, int, str | None]]:
    """(address, file offset, size, name) for functions inside executable code, de-duplicated and clipped
    so that no two overlap and none reaches past its section or the end of the file."""
    code = sorted(
        (s for s in sections if s.flags & _SHF_EXECINSTR and s.kind != _SHT_NOBITS and s.size > 0),
        key=lambda s: s.address,
    )
    code_starts = [s.address for s in code]
    unique: dict[int, tuple[int, str | None]] = {}
    for address, size, name in candidates:
        old_size, old_name = unique.get(address, (0, None))
        unique[address] = (max(size, old_size), old_name or name)
    starts = sorted(unique)
    placed = []
    for index, address in enumerate(starts):
        size, name = unique[address]
        position = bisect.bisect_right(code_starts, address) - 1
        section = code[position] if position >= 0 else None
        if section is None or address >= section.address + section.size:
            continue
        end = min(address + size, section.address + section.size)
        if index + 1 < len(starts):
            end = min(end, starts[index + 1])
        offset = section.offset + (address - section.address)
        end = min(end, address + max(0, data_size - offset))
        if end > address:
            placed.append((address, offset, end - address, name))
    return placed


def extract_functions(data: bytes, max_functions: int = DEFAULT_MAX_FUNCTIONS) -> ExtractedFunctions:
    """Functions of an x86-64 ELF with normalized instruction tokens; ``NotApplicable`` if unreadable."""
    _check_header(data)
    sections = _sections(data)
    if _is_relocatable(data):  # sections are not placed yet: address them by file offset
        sections = [replace(s, address=s.offset) for s in sections]
    notes: list[str] = []
    candidates, source = _boundaries(data, sections, notes)
    placed = _place_in_code(candidates, sections, len(data))
    if not placed:
        if candidates:
            raise NotApplicable("no function has code in the file (debug-info-only or truncated file)")
        raise NotApplicable("no functions found: no sized function symbols and no .eh_frame unwind entries")
    if len(placed) > max_functions:
        notes.append(f"{len(placed)} functions found; analysed the {max_functions} largest")
        placed = sorted(sorted(placed, key=lambda f: -f[2])[:max_functions])
    disassembler = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    functions: list[Function] = []
    budget = _WORK_PER_FILE_BYTE * len(data)  # sections claiming the same bytes cannot multiply the work
    for address, offset, size, name in placed:
        budget -= size
        if budget < 0:
            notes.append(f"stopped after {len(functions)} functions: code regions overlap (malformed file)")
            break
        instructions = disassembler.disasm_lite(data[offset : offset + size], address)
        tokens = [t for t in (normalize_instruction(m, o) for _, _, m, o in instructions) if t]
        if tokens:
            functions.append(Function(address, size, name, tokens))
    if not functions:
        raise NotApplicable("no function could be disassembled")
    return ExtractedFunctions(functions, "x86-64", source, notes)
