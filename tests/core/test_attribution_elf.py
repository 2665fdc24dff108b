"""Phase 1 of the function model on real binaries of this machine, damaged copies of them, and crafted ELFs."""

from __future__ import annotations

import io
import re
import struct
import time
from pathlib import Path

import pytest
from elftools.dwarf.callframe import FDE
from elftools.elf.elffile import ELFFile

from core.attribution import FunctionSimilarityModel, NotApplicable, ReferenceIndex, extract_functions, run_model
from core.attribution.eh_frame import fde_ranges
from core.attribution.elf_functions import DEFAULT_MAX_FUNCTIONS
from core.attribution.normalize import normalize_instruction

pytestmark = pytest.mark.database_free  # no Engine, no database: the Postgres run of CI skips it

LS = Path("/usr/bin/ls")
HEX_NUMBER = re.compile(r"0x[0-9a-f]+|\b\d{2,}\b")


def elf_with_symbols(count: int, body: bytes = b"\x31\xc0\xc3", relocatable: bool = False) -> bytes:
    """A minimal, valid x86-64 ELF whose .symtab declares ``count`` functions, each ``body`` long; a
    relocatable one (an unlinked ``.o``) has its code at address 0 and section-relative symbol values."""
    text = body * count
    strtab = b"\0f\0"
    base = 0 if relocatable else 0x401000
    symbols = b"".join(struct.pack("<IBBHQQ", 1, 0x12, 0, 1, base + i * len(body), len(body)) for i in range(count))
    shstrtab = b"\0.text\0.symtab\0.strtab\0.shstrtab\0"
    offsets, blob = [], b""
    for part in (text, symbols, strtab, shstrtab):
        offsets.append(64 + len(blob))
        blob += part
    section_offset = 64 + len(blob)
    sections = [
        struct.pack("<IIQQQQIIQQ", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        struct.pack("<IIQQQQIIQQ", 1, 1, 0x6, base, offsets[0], len(text), 0, 0, 16, 0),
        struct.pack("<IIQQQQIIQQ", 7, 2, 0, 0, offsets[1], len(symbols), 3, 0, 8, 24),
        struct.pack("<IIQQQQIIQQ", 15, 3, 0, 0, offsets[2], len(strtab), 0, 0, 1, 0),
        struct.pack("<IIQQQQIIQQ", 23, 3, 0, 0, offsets[3], len(shstrtab), 0, 0, 1, 0),
    ]
    header = b"\x7fELF\x02\x01\x01" + bytes(9)
    e_type = 1 if relocatable else 2
    header += struct.pack("<HHIQQQIHHHHHH", e_type, 62, 1, base, 0, section_offset, 0, 64, 56, 0, 64, 5, 4)
    return header + blob + b"".join(sections)


@pytest.fixture(scope="module")
def ls_bytes() -> bytes:
    if not LS.exists():
        pytest.skip("/usr/bin/ls is not on this machine")
    return LS.read_bytes()


def test_stripped_binary_functions_come_from_eh_frame(ls_bytes: bytes) -> None:
    extracted = extract_functions(ls_bytes)
    assert extracted.source == "eh_frame"
    assert extracted.arch == "x86-64"
    assert len(extracted.functions) > 100
    assert all(f.size > 0 and f.tokens for f in extracted.functions)


def test_eh_frame_ranges_agree_with_pyelftools(ls_bytes: bytes) -> None:
    elf = ELFFile(io.BytesIO(ls_bytes))
    section = elf.get_section_by_name(".eh_frame")
    assert section is not None
    ranges, problem = fde_ranges(section.data(), section["sh_addr"], limit=100_000)
    expected = [
        (entry.header["initial_location"], entry.header["address_range"])
        for entry in elf.get_dwarf_info().EH_CFI_entries()
        if isinstance(entry, FDE)
    ]
    assert problem is None
    assert ranges == expected


def test_tokens_abstract_addresses_and_immediates(ls_bytes: bytes) -> None:
    tokens = {t for f in extract_functions(ls_bytes).functions for t in f.tokens}
    assert not [t for t in tokens if HEX_NUMBER.search(t)]
    assert any(t.startswith("call imm") for t in tokens)


def test_normalization_keeps_mnemonic_and_operand_kinds() -> None:
    assert normalize_instruction("mov", "rax, qword ptr [rip + 0x2d1a]") == "mov r64,m64[rip]"
    assert normalize_instruction("mov", "dword ptr [rsp + 0x14], 0") == "mov m32[rsp],imm"
    assert normalize_instruction("movzx", "eax, byte ptr [rdi + rcx*2 - 8]") == "movzx r32,m8[r+x]"
    assert normalize_instruction("mov", "rax, qword ptr fs:[0x28]") == "mov r64,fs:m64[abs]"
    assert normalize_instruction("movaps", "xmm0, xmm7") == "movaps xmm,xmm"
    assert normalize_instruction("nop", "word ptr cs:[rax + rax]") == ""


def test_symbol_table_gives_boundaries_and_names() -> None:
    extracted = extract_functions(elf_with_symbols(10))
    assert extracted.source == "symbols"
    assert [(f.address, f.size, f.name) for f in extracted.functions[:2]] == [
        (0x401000, 3, "f"),
        (0x401003, 3, "f"),
    ]
    assert extracted.functions[0].tokens == ["xor r32,r32", "ret"]


def test_relocatable_object_functions_are_addressed_by_file_offset() -> None:
    extracted = extract_functions(elf_with_symbols(3, relocatable=True))
    assert [(f.address, f.name) for f in extracted.functions] == [(64, "f"), (67, "f"), (70, "f")]


def test_huge_number_of_tiny_functions_is_capped_with_a_note() -> None:
    data = elf_with_symbols(DEFAULT_MAX_FUNCTIONS + 30_000)
    started = time.perf_counter()
    extracted = extract_functions(data)
    assert time.perf_counter() - started < 30
    assert len(extracted.functions) == DEFAULT_MAX_FUNCTIONS
    assert any("analysed the" in note for note in extracted.notes)


def test_huge_number_of_tiny_functions_runs_through_both_phases(ls_bytes: bytes) -> None:
    index = ReferenceIndex.build([("ls", "coreutils", ls_bytes)])
    result = run_model(FunctionSimilarityModel(), elf_with_symbols(DEFAULT_MAX_FUNCTIONS + 10_000), index)
    assert result.status == "done"
    assert result.evidence["functions_analysed"] == DEFAULT_MAX_FUNCTIONS
    assert result.evidence["functions_compared"] == 0  # two instructions each: too small to compare
    assert "0 of 50000 functions have close matches" in result.explanation


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"#!/bin/sh\necho hello\n" * 10, "not an ELF file"),
        (b"\x7fELF\x02\x01\x01" + bytes(20), "truncated ELF header"),
    ],
)
def test_unreadable_input_is_not_applicable_with_reason(data: bytes, reason: str) -> None:
    with pytest.raises(NotApplicable, match=reason):
        extract_functions(data)


def test_truncated_binary_is_not_applicable(ls_bytes: bytes) -> None:
    with pytest.raises(NotApplicable, match="truncated"):
        extract_functions(ls_bytes[: len(ls_bytes) // 2])


@pytest.mark.parametrize(("machine", "name"), [(183, "AArch64"), (3, "i386")])
def test_elf_for_another_architecture_is_not_applicable(ls_bytes: bytes, machine: int, name: str) -> None:
    patched = ls_bytes[:18] + struct.pack("<H", machine) + ls_bytes[20:]
    with pytest.raises(NotApplicable, match=f"ELF for {name}.*only x86-64"):
        extract_functions(patched)


def test_debug_only_file_without_code_is_not_applicable() -> None:
    data = bytearray(elf_with_symbols(4))
    text_header = len(data) - 4 * 64  # section 1 of 5
    struct.pack_into("<I", data, text_header + 4, 8)  # SHT_NOBITS: the code is not in the file
    with pytest.raises(NotApplicable, match="no function has code"):
        extract_functions(bytes(data))


def test_corrupt_eh_frame_keeps_the_functions_read_before_the_damage(ls_bytes: bytes) -> None:
    intact = extract_functions(ls_bytes)
    section = ELFFile(io.BytesIO(ls_bytes)).get_section_by_name(".eh_frame")
    assert section is not None
    middle = section["sh_offset"] + section["sh_size"] // 2
    damaged = ls_bytes[:middle] + b"\xff" * 64 + ls_bytes[middle + 64 :]
    extracted = extract_functions(damaged)
    assert 0 < len(extracted.functions) < len(intact.functions)
    assert any(".eh_frame partly unreadable" in note for note in extracted.notes)
