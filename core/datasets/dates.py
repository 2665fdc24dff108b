"""Text -> timestamp[us], vectorized and never raising: built-in layouts, or a template's own date format.

Numeric dates such as 03/04/2020 are read in one order per column, decided by the data (a first number
above 12 means day-first, a second above 12 month-first, dots are European day-first); when nothing
decides (every day is 12 or less) they are read month-first and the caller says so. Mixing both orders
in one column would silently swap days and months, so cells of the other order become unparseable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeAlias

import pyarrow as pa
import pyarrow.compute as pc

Column: TypeAlias = pa.ChunkedArray

_TIME = r"(?:[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?)?Z?$"
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
DAY_FIRST = r"^(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<Y>\d{4})" + _TIME
MONTH_FIRST = r"^(?P<m>\d{1,2})[/-](?P<d>\d{1,2})[/-](?P<Y>\d{4})" + _TIME
#: Layouts that never overlap each other (ISO, year first, month names); one numeric order joins them.
FIXED_LAYOUTS: tuple[str, ...] = (
    r"^(?P<Y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})" + _TIME,
    r"^(?P<Y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})" + _TIME,
    r"^(?P<d>\d{1,2})[ -](?P<b>[A-Za-z]{3,9})[ -](?P<Y>\d{4})" + _TIME,
    r"^(?P<b>[A-Za-z]{3,9}) (?P<d>\d{1,2}),? (?P<Y>\d{4})" + _TIME,
)
_NUMERIC = r"^(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})[/.-]\d{4}"
#: strftime directives a template date format may use, as regular-expression groups for the layout parser.
FORMAT_CODES = {
    "d": r"(?P<d>\d{1,2})",
    "m": r"(?P<m>\d{1,2})",
    "Y": r"(?P<Y>\d{4})",
    "b": r"(?P<b>[A-Za-z]{3,9})",
    "B": r"(?P<b>[A-Za-z]{3,9})",
    "H": r"(?P<H>\d{1,2})",
    "M": r"(?P<M>\d{2})",
    "S": r"(?P<S>\d{2})",
    "f": r"(?P<f>\d{1,9})",
    "%": "%",
}
US_PER_DAY = 86_400_000_000


@dataclass(frozen=True)
class DateOrder:
    """How a column's numeric dates were read; ``ambiguous`` when no day was above 12."""

    day_first: bool
    ambiguous: bool
    separator: str = "/"

    @property
    def layout(self) -> str:
        s = self.separator
        return f"dd{s}mm{s}yyyy" if self.day_first else f"mm{s}dd{s}yyyy"

    @property
    def date_format(self) -> str:
        """The template date format that reads the column the same way."""
        s = self.separator
        return f"%d{s}%m{s}%Y" if self.day_first else f"%m{s}%d{s}%Y"

    def note(self, column: str) -> str:
        """One sentence for the validation report."""
        order = "day-first" if self.day_first else "month-first"
        if not self.ambiguous:
            return f"Column '{column}': dates read {order} ({self.layout})."
        return (
            f"Column '{column}': every day is 12 or less, so the dates were read {order} ({self.layout}); "
            f"if they are day-first, give the template column the date format %d{self.separator}%m{self.separator}%Y."
        )


def numeric_order(column: Column) -> DateOrder | None:
    """The order of ``column``'s nn/nn/yyyy dates, or None when it has none (or is not text)."""
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return None
    parts = pc.extract_regex(pc.utf8_trim_whitespace(column), _NUMERIC)
    found = pc.drop_null(parts)
    if len(found) == 0:
        return None
    first = pc.struct_field(found, "a").cast(pa.int64())
    second = pc.struct_field(found, "b").cast(pa.int64())
    separators = pc.struct_field(found, "sep")
    separator = str(separators[0].as_py())
    day_evidence = pc.any(pc.greater(first, 12)).as_py() or pc.any(pc.equal(separators, ".")).as_py()
    month_evidence = bool(pc.any(pc.greater(second, 12)).as_py())
    if day_evidence == month_evidence:  # neither: ambiguous; both: the order that reads more cells
        day_cells = pc.sum(pc.less_equal(second, 12)).as_py() or 0
        month_cells = pc.sum(pc.and_(pc.less_equal(first, 12), pc.not_equal(separators, "."))).as_py() or 0
        return DateOrder(day_first=day_cells > month_cells, ambiguous=not day_evidence, separator=separator)
    return DateOrder(day_first=bool(day_evidence), ambiguous=False, separator=separator)


def parse_timestamps(column: Column, order: DateOrder | None = None) -> Column:
    """Text dates/datetimes -> timestamp[us]; null where no layout gives a real date.

    ``order`` defaults to :func:`numeric_order` of the column; impossible dates such as 2020-02-30 are
    rejected, not rolled over.
    """
    text = pc.utf8_trim_whitespace(column)
    order = order or numeric_order(text)
    numeric = DAY_FIRST if order is None or order.day_first else MONTH_FIRST
    parsed = [p for p in (_parse_layout(text, layout) for layout in (numeric, *FIXED_LAYOUTS)) if p.null_count < len(p)]
    if not parsed:
        return _nulls(text)
    return pc.coalesce(*parsed) if len(parsed) > 1 else parsed[0]


def parse_with_format(column: Column, date_format: str) -> Column:
    """Text -> timestamp[us] read with a template's strftime-style format (see :func:`format_pattern`)."""
    return _parse_layout(pc.utf8_trim_whitespace(column), format_pattern(date_format))


def format_pattern(date_format: str) -> str:
    """A strftime-style format (%d %m %Y %b %B %H %M %S %f) as a layout regex; ValueError naming what is wrong.

    A format without a time (%H) still accepts an optional time after the date, like the built-in layouts.
    """
    pieces, index = [], 0
    for match in re.finditer(r"%(.?)", date_format):
        pieces.append(re.escape(date_format[index : match.start()]))
        code = match.group(1)
        if code not in FORMAT_CODES:
            raise ValueError(f"'%{code}' is not supported; use %d, %m, %Y, %b, %H, %M, %S or %f")
        pieces.append(FORMAT_CODES[code])
        index = match.end()
    pieces.append(re.escape(date_format[index:]))
    body = "".join(pieces)
    if not all(group in body for group in ("(?P<d>", "(?P<Y>")) or ("(?P<m>" not in body and "(?P<b>" not in body):
        raise ValueError("a date format needs a day (%d), a month (%m or %b) and a year (%Y)")
    pattern = "^" + body + ("Z?$" if "(?P<H>" in body else _TIME)
    try:
        re.compile(pattern)
    except re.error:
        raise ValueError("each of %d, %m, %Y, %H, %M, %S and %f may appear only once") from None
    return pattern


def _nulls(column: Column) -> Column:
    return pa.chunked_array([pa.nulls(len(column), pa.timestamp("us"))])


def _parse_layout(text: Column, pattern: str) -> Column:
    parts = pc.extract_regex(text, pattern)
    matched = pc.fill_null(pc.is_valid(parts), False)
    if not pc.any(matched).as_py():
        return _nulls(text)
    names = {f.name for f in parts.type}

    def number(name: str) -> Column:
        if name not in names:
            return pa.chunked_array([pa.repeat(pa.scalar(0, pa.int64()), len(text))])
        field = pc.struct_field(parts, name)
        return pc.if_else(pc.equal(field, ""), "0", field).cast(pa.int64())

    if "b" in names:
        prefix = pc.utf8_lower(pc.utf8_slice_codeunits(pc.struct_field(parts, "b"), 0, 3))
        month = pc.add(pc.index_in(prefix, value_set=pa.array(_MONTHS)), 1).cast(pa.int64())
    else:
        month = number("m")
    year, day = number("Y"), number("d")
    hour, minute, second = number("H"), number("M"), number("S")
    if "f" in names:
        fraction = pc.utf8_slice_codeunits(pc.utf8_rpad(pc.struct_field(parts, "f"), 6, "0"), 0, 6)
        micros = pc.if_else(pc.equal(fraction, "000000"), "0", fraction).cast(pa.int64())
    else:
        micros = number("f")
    days = _days_from_civil(year, month, day)
    as_date = days.cast(pa.int32()).cast(pa.date32())
    ok = pc.and_(
        pc.and_(matched, pc.and_(pc.equal(pc.month(as_date), month), pc.equal(pc.day(as_date), day))),
        pc.and_(pc.less(hour, 24), pc.and_(pc.less(minute, 60), pc.less(second, 60))),
    )
    seconds = pc.add(pc.multiply(pc.add(pc.multiply(hour, 60), minute), 60), second)
    total = pc.add(pc.add(pc.multiply(days, US_PER_DAY), pc.multiply(seconds, 1_000_000)), micros)
    return pc.if_else(pc.fill_null(ok, False), total, pa.scalar(None, pa.int64())).cast(pa.timestamp("us"))


def _days_from_civil(year: Column, month: Column, day: Column) -> Column:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm), vectorized.

    Out-of-range months or days give some other date; the caller rejects them by reading it back.
    """
    early = pc.less_equal(month, 2)
    y = pc.subtract(year, early.cast(pa.int64()))
    era = pc.divide(y, 400)
    yoe = pc.subtract(y, pc.multiply(era, 400))
    shifted = pc.if_else(early, pc.add(month, 9), pc.subtract(month, 3))
    doy = pc.add(pc.divide(pc.add(pc.multiply(shifted, 153), 2), 5), pc.subtract(day, 1))
    doe = pc.add(pc.subtract(pc.add(pc.multiply(yoe, 365), pc.divide(yoe, 4)), pc.divide(yoe, 100)), doy)
    return pc.subtract(pc.add(pc.multiply(era, 146_097), doe), 719_468)
