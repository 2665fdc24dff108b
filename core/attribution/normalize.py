"""Instruction normalization: mnemonic + operand kinds, so recompiled or relocated code still matches.

Registers collapse to their class (``r64``, ``r32``, ``xmm`` …; ``rsp`` stays itself because stack
handling is characteristic), immediates and branch targets become ``imm``, memory operands keep only
their width and addressing shape (``m64[rip]`` for globals, ``m32[rsp]`` for stack slots, ``m64[r+x]``
for indexed access). Displacements, addresses and constants are dropped: they change with every link.
"""

from __future__ import annotations

import re
from functools import lru_cache

_GP_REGISTERS: dict[str, str] = {}
for _names, _kind in (
    ("rax rbx rcx rdx rsi rdi rbp r8 r9 r10 r11 r12 r13 r14 r15", "r64"),
    ("eax ebx ecx edx esi edi ebp esp r8d r9d r10d r11d r12d r13d r14d r15d", "r32"),
    ("ax bx cx dx si di bp sp r8w r9w r10w r11w r12w r13w r14w r15w", "r16"),
    ("al bl cl dl ah bh ch dh sil dil bpl spl r8b r9b r10b r11b r12b r13b r14b r15b", "r8"),
    ("cs ds es fs gs ss", "seg"),
):
    for _name in _names.split():
        _GP_REGISTERS[_name] = _kind
_GP_REGISTERS["rsp"] = "rsp"

_VECTOR_REGISTER = re.compile(r"^(xmm|ymm|zmm|mm|k|cr|dr|bnd)\d+$")
_IMMEDIATE = re.compile(r"^-?(0x[0-9a-f]+|\d+)$")
_MEMORY = re.compile(r"^(?:(\w+) ptr )?(?:(\w+):)?\[(.*)\]$")
_MEMORY_WIDTHS = {
    "byte": "8",
    "word": "16",
    "dword": "32",
    "qword": "64",
    "tbyte": "80",
    "xmmword": "128",
    "ymmword": "256",
    "zmmword": "512",
}
_SKIPPED_MNEMONICS = frozenset({"nop", "int3"})


def _register_kind(operand: str) -> str:
    kind = _GP_REGISTERS.get(operand)
    if kind is not None:
        return operand if kind == "seg" else kind
    match = _VECTOR_REGISTER.match(operand)
    if match:
        return match.group(1)
    if operand.startswith("st"):
        return "st"
    return operand if operand.isalpha() else "other"


def _memory_kind(width: str | None, segment: str | None, inside: str) -> str:
    """Width plus addressing shape: rip-relative (global), stack, register-based, indexed, absolute."""
    terms = [term.strip() for term in inside.replace(" - ", " + ").split(" + ")]
    if "rip" in terms:
        shape = "rip"
    elif "rsp" in terms or "esp" in terms:
        shape = "rsp"
    elif any(not _IMMEDIATE.match(term) and "*" not in term for term in terms):
        shape = "r"
    else:
        shape = ""
    if any("*" in term for term in terms):
        shape += "+x"
    prefix = f"{segment}:" if segment else ""
    return f"{prefix}m{_MEMORY_WIDTHS.get(width or '', '')}[{shape or 'abs'}]"


def _operand_kind(operand: str) -> str:
    if _IMMEDIATE.match(operand):
        return "imm"
    match = _MEMORY.match(operand)
    if match:
        return _memory_kind(match.group(1), match.group(2), match.group(3))
    return _register_kind(operand)


@lru_cache(maxsize=1 << 17)
def normalize_instruction(mnemonic: str, op_str: str) -> str:
    """One token per instruction, e.g. ``mov r64,m64[rsp]``; empty for padding (nop / int3)."""
    if mnemonic in _SKIPPED_MNEMONICS:
        return ""
    if not op_str:
        return mnemonic
    kinds = ",".join(_operand_kind(operand.strip()) for operand in op_str.split(", "))
    return f"{mnemonic} {kinds}"
