"""Builders for failure-dump CSV used by the diagnosis tests."""

import csv
import io
from collections.abc import Sequence


def dump_csv(header: Sequence[str], rows: Sequence[Sequence[str]], *, newline: str = "\r\n") -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
