"""The expression language of derived columns and row filters, parsed by the engine into SQL (never ``eval``).

Grammar (case-insensitive keywords):

    expr       := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | compare
    compare    := sum (("=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">=") sum | "is" ["not"] "null")?
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/" | "%") unary)*
    unary      := "-" unary | atom
    atom       := number | 'text' | "text" | true | false | null | column | `any column name`
                  | function "(" [expr ("," expr)*] ")" | "(" expr ")"

A column is a bare name (letters, digits, underscore) or any name in backticks. Only the functions in ``FUNCTIONS``
exist; anything else (attribute access, imports, dunder names, SQL fragments, other calls) is refused in words,
naming the position. The SQL is built from the tree: identifiers and literals are quoted by ``core.prep.sql``."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

from core.errors import InvalidInput, Problem
from core.prep.sql import ident, literal

MAX_LENGTH = 2_000
MAX_DEPTH = 50


def _call(name: str) -> Callable[[list[str]], str]:
    return lambda args: f"{name}({', '.join(args)})"


# name -> (fewest, most arguments, SQL builder). Dates: year(d), month(d) …; text: lower(s) …
FUNCTIONS: dict[str, tuple[int, int, Callable[[list[str]], str]]] = {
    "abs": (1, 1, _call("abs")),
    "round": (1, 2, _call("round")),
    "floor": (1, 1, _call("floor")),
    "ceil": (1, 1, _call("ceil")),
    "sqrt": (1, 1, lambda a: f"CASE WHEN {a[0]} >= 0 THEN sqrt({a[0]}) END"),
    "log": (1, 1, lambda a: f"CASE WHEN {a[0]} > 0 THEN ln({a[0]}) END"),
    "exp": (1, 1, _call("exp")),
    "pow": (2, 2, _call("pow")),
    "least": (2, 10, _call("least")),
    "greatest": (2, 10, _call("greatest")),
    "coalesce": (2, 10, _call("coalesce")),
    "if": (3, 3, lambda a: f"CASE WHEN {a[0]} THEN {a[1]} ELSE {a[2]} END"),
    "lower": (1, 1, _call("lower")),
    "upper": (1, 1, _call("upper")),
    "trim": (1, 1, _call("trim")),
    "length": (1, 1, _call("length")),
    "substr": (2, 3, _call("substr")),
    "concat": (1, 10, _call("concat")),
    "replace": (3, 3, _call("replace")),
    "contains": (2, 2, _call("contains")),
    "starts_with": (2, 2, _call("starts_with")),
    "ends_with": (2, 2, _call("ends_with")),
    "text": (1, 1, lambda a: f"CAST({a[0]} AS VARCHAR)"),
    "number": (1, 1, lambda a: f"TRY_CAST({a[0]} AS DOUBLE)"),
    "year": (1, 1, _call("year")),
    "quarter": (1, 1, _call("quarter")),
    "month": (1, 1, _call("month")),
    "day": (1, 1, _call("day")),
    "weekday": (1, 1, _call("isodow")),
    "hour": (1, 1, _call("hour")),
    "days_between": (2, 2, lambda a: f"datediff('day', {a[0]}, {a[1]})"),
    "today": (0, 0, lambda a: "current_date"),
}
KEYWORDS = {"and", "or", "not", "is", "null", "true", "false"}
COMPARISONS = {"=": "=", "==": "=", "!=": "<>", "<>": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<number>\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+(?:[eE][+-]?\d+)?)
    |(?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
    |(?P<quoted>`(?:[^`]|``)+`)
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<op>==|!=|<>|<=|>=|[-+*/%(),<>=])
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # number | string | quoted | name | op | end
    text: str
    at: int  # 1-based character position, for messages


@dataclass(frozen=True)
class Parsed:
    """An expression ready for a query: its SQL and the columns it reads."""

    sql: str
    columns: tuple[str, ...]


def parse(expression: str, columns: Collection[str], *, field: str = "expression") -> Parsed:
    """Parse ``expression`` over ``columns``; InvalidInput saying what is wrong and where otherwise."""
    if not expression.strip():
        raise _refuse("The expression is empty.", expression, field)
    if len(expression) > MAX_LENGTH:
        raise _refuse(f"The expression is longer than {MAX_LENGTH:,} characters.", expression, field)
    parser = _Parser(_tokens(expression, field), set(columns), expression, field)
    sql = parser.expression(0)
    parser.expect_end()
    return Parsed(sql, tuple(dict.fromkeys(parser.used)))


def _refuse(message: str, expression: str, field: str) -> InvalidInput:
    return InvalidInput(message, [Problem(message, field=field, value=expression[:200])])


def _tokens(expression: str, field: str) -> list[Token]:
    tokens, position = [], 0
    while position < len(expression):
        if expression[position:].strip() == "":
            break
        match = _TOKEN.match(expression, position)
        if match is None or match.end() == position:
            at = position + len(expression[position:]) - len(expression[position:].lstrip()) + 1
            char = expression[at - 1]
            hint = " (attribute access is not part of the language)" if char == "." else ""
            raise _refuse(f"Unexpected {char!r} at character {at}{hint}.", expression, field)
        kind = match.lastgroup or "op"
        tokens.append(Token(kind, match.group(kind), match.start(kind) + 1))
        position = match.end()
    tokens.append(Token("end", "", len(expression) + 1))
    return tokens


class _Parser:
    def __init__(self, tokens: list[Token], columns: set[str], expression: str, field: str) -> None:
        self.tokens, self.columns, self.source, self.field = tokens, columns, expression, field
        self.position = 0
        self.used: list[str] = []

    # --- token helpers -----------------------------------------------------------------------------------
    @property
    def token(self) -> Token:
        return self.tokens[self.position]

    def advance(self) -> Token:
        token = self.token
        self.position += 1
        return token

    def word(self, *words: str) -> bool:
        token = self.token
        if token.kind == "name" and token.text.lower() in words:
            self.position += 1
            return True
        return False

    def op(self, *ops: str) -> str | None:
        token = self.token
        if token.kind == "op" and token.text in ops:
            self.position += 1
            return token.text
        return None

    def fail(self, message: str, token: Token | None = None) -> InvalidInput:
        token = token or self.token
        where = "at the end" if token.kind == "end" else f"at character {token.at}"
        return _refuse(f"{message} {where}.", self.source, self.field)

    def expect_end(self) -> None:
        if self.token.kind != "end":
            raise self.fail(f"Unexpected {self.token.text!r}")

    # --- grammar -----------------------------------------------------------------------------------------
    def expression(self, depth: int) -> str:
        if depth > MAX_DEPTH:
            raise self.fail("The expression is nested too deeply")
        left = self.conjunction(depth)
        while self.word("or"):
            left = f"({left} OR {self.conjunction(depth)})"
        return left

    def conjunction(self, depth: int) -> str:
        left = self.negation(depth)
        while self.word("and"):
            left = f"({left} AND {self.negation(depth)})"
        return left

    def negation(self, depth: int) -> str:
        if self.word("not"):
            return f"(NOT {self.negation(depth + 1)})"
        return self.comparison(depth)

    def comparison(self, depth: int) -> str:
        left = self.sum(depth)
        if self.word("is"):
            negated = self.word("not")
            if not self.word("null"):
                raise self.fail("Expected 'null' after 'is'")
            return f"({left} IS {'NOT ' if negated else ''}NULL)"
        op = self.op(*COMPARISONS)
        return f"({left} {COMPARISONS[op]} {self.sum(depth)})" if op else left

    def sum(self, depth: int) -> str:
        left = self.product(depth)
        while op := self.op("+", "-"):
            left = f"({left} {op} {self.product(depth)})"
        return left

    def product(self, depth: int) -> str:
        left = self.unary(depth)
        while op := self.op("*", "/", "%"):
            right = self.unary(depth)
            left = f"({left} / NULLIF({right}, 0))" if op == "/" else f"({left} {op} {right})"
        return left

    def unary(self, depth: int) -> str:
        if self.op("-"):
            return f"(- {self.unary(depth + 1)})"
        return self.atom(depth)

    def atom(self, depth: int) -> str:
        token = self.advance()
        if token.kind == "number":
            return literal(float(token.text) if any(c in token.text for c in ".eE") else int(token.text))
        if token.kind == "string":
            quote = token.text[0]
            return literal(token.text[1:-1].replace(quote * 2, quote))
        if token.kind == "quoted":
            return self.column(token.text[1:-1].replace("``", "`"), token)
        if token.kind == "op" and token.text == "(":
            inner = self.expression(depth + 1)
            if not self.op(")"):
                raise self.fail("Expected ')'")
            return inner
        if token.kind == "name":
            return self.named(token, depth)
        raise self.fail(f"Unexpected {token.text!r}" if token.kind != "end" else "The expression stops", token)

    def named(self, token: Token, depth: int) -> str:
        name, lowered = token.text, token.text.lower()
        if name.startswith("__"):
            raise self.fail(f"Names starting with '__' ({name}) are not allowed", token)
        if lowered in ("true", "false"):
            return literal(lowered == "true")
        if lowered == "null":
            return "NULL"
        if lowered in KEYWORDS:
            raise self.fail(f"Unexpected {name!r}", token)
        if self.token.kind == "op" and self.token.text == "(":
            return self.call(token, depth)
        return self.column(name, token)

    def column(self, name: str, token: Token) -> str:
        if name not in self.columns:
            raise self.fail(f"Unknown column {name!r}", token)
        self.used.append(name)
        return ident(name)

    def call(self, token: Token, depth: int) -> str:
        name = token.text.lower()
        if name not in FUNCTIONS:
            raise self.fail(f"Unknown function {token.text!r} (known: {', '.join(sorted(FUNCTIONS))})", token)
        self.advance()  # "("
        args: list[str] = []
        if not self.op(")"):
            args.append(self.expression(depth + 1))
            while self.op(","):
                args.append(self.expression(depth + 1))
            if not self.op(")"):
                raise self.fail(f"Expected ',' or ')' in {name}(…)")
        fewest, most, build = FUNCTIONS[name]
        if not fewest <= len(args) <= most:
            wanted = str(fewest) if fewest == most else f"{fewest}–{most}"
            raise self.fail(f"{name}() takes {wanted} argument(s), not {len(args)},", token)
        return build(args)
