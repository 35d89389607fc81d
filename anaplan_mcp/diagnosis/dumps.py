"""Failure-dump parsing and the grouping of failing rows by error pattern.

A CloudWorks failure dump is CSV: the source columns, then ``_Line_``, then ``_Error_1_``,
``_Error_2_``, ... The dump is parsed whole (get_failure_dump pages its rows); the analysis keeps
only counts and samples per error pattern.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

LINE_COLUMN = "_Line_"
_ERROR_COLUMN = re.compile(r"^_Error_\d+_$")
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|(?<!\w)'[^']*'(?!\w)")
_DATE = re.compile(
    r"(?<![\w/.-])(?:\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?"
    r"|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4})(?![\w/.-])"
)
_NUMBER = re.compile(r"(?<![\w.<])[-+]?\d+(?:[.,]\d+)*(?![\w>])")
_MISSING = re.compile(r"\b(?:missing|blank|empty|required|mandatory|no value|not specified)\b")


class DumpRow(BaseModel):
    line: int | None = Field(
        description="Line of the row in the source file (_Line_); null if absent."
    )
    values: dict[str, str] = Field(description="Source column name to the value the row carried.")
    errors: list[str] = Field(description="The row's non-empty error messages, in column order.")


class ParsedDump(BaseModel):
    source_columns: list[str] = Field(description="The source file's columns, in dump order.")
    error_columns: list[str] = Field(description="The _Error_n_ columns found in the header.")
    has_line_column: bool = Field(description="Whether the dump has a _Line_ column.")
    rows: list[DumpRow] = Field(description="Every data row of the dump, in file order.")


class DumpPage(BaseModel):
    offset: int = Field(description="Index of the first row on this page (0-based).")
    limit: int = Field(description="The page size asked for.")
    total_rows: int = Field(description="Number of data rows in the whole dump.")
    next_offset: int | None = Field(description="Offset of the next page; null on the last page.")
    rows: list[DumpRow] = Field(description="The rows of this page.")


class SampleRow(BaseModel):
    line: int | None = Field(description="Line of the row in the source file; null if unknown.")
    column: str | None = Field(description="The source column the error points at, if found.")
    value: str | None = Field(description="That column's value in this row.")
    error: str = Field(description="The error text exactly as the dump gives it.")


class ErrorGroup(BaseModel):
    pattern: str = Field(
        description="The error text with values masked, e.g. 'Invalid number: <value>'."
    )
    rows: int = Field(description="Number of rows carrying an error of this pattern.")
    columns: list[str] = Field(description="Implicated source columns, most frequent first.")
    samples: list[SampleRow] = Field(description="The first few rows of the group, in file order.")


class DumpAnalysis(BaseModel):
    total_rows: int = Field(description="Number of data rows in the dump.")
    failing_rows: int = Field(description="Rows with at least one error message.")
    group_count: int = Field(description="Number of distinct error patterns.")
    groups: list[ErrorGroup] = Field(
        description="Error patterns ranked by row count, largest first."
    )
    groups_omitted: int = Field(description="Patterns left out by the max_groups limit.")
    source_columns: list[str] = Field(description="The source file's columns.")
    error_columns: list[str] = Field(description="The dump's _Error_n_ columns.")


def error_pattern(error: str, values: Iterable[str] = ()) -> str:
    """The error text with quoted values, the row's own values, dates and numbers masked."""
    text = _QUOTED.sub("<value>", " ".join(error.split()))
    if text.endswith(":"):
        text += " "
    head, separator, tail = text.partition(": ")
    present = {v.strip() for v in values if v.strip() in head and _is_maskable(v)}
    for value in sorted(present, key=len, reverse=True):
        head = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", "<value>", head)
    head = _NUMBER.sub("<number>", _DATE.sub("<date>", head))
    if not separator:
        return head
    return f"{head}: {'<value>' if tail.strip() else '<blank>'}"


def implicated_columns(error: str, values: Mapping[str, str]) -> list[str]:
    """The source columns an error points at, strongest evidence first."""
    _, separator, tail = error.partition(": ")
    tail = tail.strip().strip("\"“”'")
    if separator and tail:
        exact = [name for name, value in values.items() if value.strip() == tail]
        if exact:
            return exact
    folded = error.casefold()
    named = [name for name in values if len(name) > 1 and _contains(folded, name.casefold())]
    if named:
        return named
    if _MISSING.search(folded):
        blank = [name for name, value in values.items() if not value.strip()]
        if blank:
            return blank
    contained = [
        (name, value.strip())
        for name, value in values.items()
        if len(value.strip()) > 1 and _contains(folded, value.strip().casefold())
    ]
    contained.sort(key=lambda pair: -len(pair[1]))
    return [name for name, _ in contained]


def _is_maskable(value: str) -> bool:
    stripped = value.strip()
    return len(stripped) > 1 and any(character.isalpha() for character in stripped)


def _contains(text: str, fragment: str) -> bool:
    if fragment not in text:
        return False
    return re.search(rf"(?<!\w){re.escape(fragment)}(?!\w)", text) is not None


@dataclass
class _Group:
    order: int
    rows: int = 0
    columns: Counter[str] = field(default_factory=Counter)
    samples: list[SampleRow] = field(default_factory=list)


class DumpAnalyser:
    """Groups rows by error pattern as they arrive; memory grows with patterns, not rows."""

    def __init__(
        self, source_columns: list[str], error_columns: list[str], *, samples: int
    ) -> None:
        self._source_columns = source_columns
        self._error_columns = error_columns
        self._samples = samples
        self._groups: dict[str, _Group] = {}
        self._total_rows = 0
        self._failing_rows = 0

    def add(self, row: DumpRow) -> None:
        self._total_rows += 1
        seen: set[str] = set()
        for error in row.errors:
            pattern = error_pattern(error, row.values.values())
            if pattern in seen:
                continue
            seen.add(pattern)
            group = self._groups.get(pattern)
            if group is None:
                group = self._groups[pattern] = _Group(order=len(self._groups))
            group.rows += 1
            columns = implicated_columns(error, row.values)
            group.columns.update(columns)
            if len(group.samples) < self._samples:
                column = columns[0] if columns else None
                value = row.values.get(column) if column is not None else None
                group.samples.append(
                    SampleRow(line=row.line, column=column, value=value, error=error)
                )
        if seen:
            self._failing_rows += 1

    def result(self, max_groups: int) -> DumpAnalysis:
        position = {name: index for index, name in enumerate(self._source_columns)}
        ranked = sorted(self._groups.items(), key=lambda item: (-item[1].rows, item[1].order))
        groups = [
            ErrorGroup(
                pattern=pattern,
                rows=group.rows,
                columns=sorted(
                    group.columns, key=lambda c: (-group.columns[c], position.get(c, 0))
                ),
                samples=group.samples,
            )
            for pattern, group in ranked[: max(max_groups, 0)]
        ]
        return DumpAnalysis(
            total_rows=self._total_rows,
            failing_rows=self._failing_rows,
            group_count=len(ranked),
            groups=groups,
            groups_omitted=len(ranked) - len(groups),
            source_columns=list(self._source_columns),
            error_columns=list(self._error_columns),
        )


@dataclass(frozen=True)
class _Layout:
    source_columns: tuple[str, ...]
    source_index: tuple[int, ...]
    error_columns: tuple[str, ...]
    error_index: tuple[int, ...]
    line_index: int | None
    width: int

    @classmethod
    def from_header(cls, header: list[str]) -> _Layout:
        names = _unique([name.strip() for name in header])
        errors = [i for i, name in enumerate(names) if _ERROR_COLUMN.match(name)]
        line_index = names.index(LINE_COLUMN) if LINE_COLUMN in names else None
        sources = [i for i in range(len(names)) if i != line_index and i not in errors]
        return cls(
            source_columns=tuple(names[i] for i in sources),
            source_index=tuple(sources),
            error_columns=tuple(names[i] for i in errors),
            error_index=tuple(errors),
            line_index=line_index,
            width=len(names),
        )

    def row(self, record: list[str]) -> DumpRow:
        def cell(index: int) -> str:
            return record[index] if index < len(record) else ""

        errors = [cell(i).strip() for i in self.error_index]
        errors += [extra.strip() for extra in record[self.width :]]
        line_text = cell(self.line_index).strip() if self.line_index is not None else ""
        return DumpRow.model_construct(
            line=int(line_text) if line_text.isdigit() else None,
            values={
                name: cell(i)
                for name, i in zip(self.source_columns, self.source_index, strict=True)
            },
            errors=[error for error in errors if error],
        )


def _unique(names: list[str]) -> list[str]:
    seen: Counter[str] = Counter()
    unique = []
    for name in names:
        seen[name] += 1
        unique.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return unique


def _text_lines(chunks: Iterable[bytes | str]) -> Iterator[str]:
    """Decoded lines with their line ends kept, so quoted newlines survive for the csv reader."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
    pending = ""
    first = True
    for chunk in chunks:
        text = decoder.decode(chunk) if isinstance(chunk, bytes) else chunk
        if first and text:
            text = text.removeprefix("\ufeff")
            first = False
        pending += text
        if "\n" in pending:
            *complete, pending = pending.split("\n")
            for line in complete:
                yield line + "\n"
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending


def _rows(chunks: Iterable[bytes | str]) -> tuple[_Layout, Iterator[DumpRow]]:
    records = csv.reader(_text_lines(chunks), strict=False)
    header = next((record for record in records if any(f.strip() for f in record)), [])
    layout = _Layout.from_header(header)

    def rows() -> Iterator[DumpRow]:
        for record in records:
            if any(f.strip() for f in record):
                yield layout.row(record)

    return layout, rows()


def _as_chunks(data: bytes | str) -> list[bytes | str]:
    if isinstance(data, str) and "\n" not in data:
        return [data.replace("\r", "\n")]
    if isinstance(data, bytes) and b"\n" not in data:
        return [data.replace(b"\r", b"\n")]
    return [data]


def parse_dump(data: bytes | str) -> ParsedDump:
    """Parse a whole dump; tolerant of a BOM, CRLF, a missing _Line_ and no error columns."""
    layout, rows = _rows(_as_chunks(data))
    return ParsedDump(
        source_columns=list(layout.source_columns),
        error_columns=list(layout.error_columns),
        has_line_column=layout.line_index is not None,
        rows=list(rows),
    )


def analyse_dump(
    parsed: ParsedDump, *, max_groups: int = 10, samples_per_group: int = 3
) -> DumpAnalysis:
    """Group the parsed rows by error pattern and rank the groups by row count."""
    analyser = DumpAnalyser(parsed.source_columns, parsed.error_columns, samples=samples_per_group)
    for row in parsed.rows:
        analyser.add(row)
    return analyser.result(max_groups)


def page_rows(parsed: ParsedDump, offset: int, limit: int) -> DumpPage:
    """One page of the dump's rows; offset is 0-based."""
    if offset < 0 or limit < 1:
        raise ValueError("offset must be >= 0 and limit >= 1")
    rows = parsed.rows[offset : offset + limit]
    end = offset + len(rows)
    return DumpPage(
        offset=offset,
        limit=limit,
        total_rows=len(parsed.rows),
        next_offset=end if end < len(parsed.rows) else None,
        rows=rows,
    )
