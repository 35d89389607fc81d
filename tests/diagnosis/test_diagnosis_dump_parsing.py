from diagnosis_dump_builders import dump_csv
from hypothesis import given, settings
from hypothesis import strategies as st

from anaplan_mcp.diagnosis.dumps import analyse_dump, page_rows, parse_dump

HEADER = ["Demo List", "name", "email", "planet", "_Line_", "_Error_1_"]


def test_quotes_commas_and_newlines_inside_fields_survive() -> None:
    tricky = 'say "hi", then\nleave'
    text = dump_csv(HEADER, [[tricky, "a,b", "", "", "2", 'Invalid number: "x,y"']])

    row = parse_dump(text).rows[0]

    assert row.values["Demo List"] == tricky
    assert row.values["name"] == "a,b"
    assert row.errors == ['Invalid number: "x,y"']
    assert row.line == 2


def test_bom_and_crlf_are_tolerated_in_bytes_and_text() -> None:
    text = dump_csv(HEADER, [["a", "", "junk", "", "2", "Invalid number: junk"]])
    for data in ("\ufeff" + text, ("\ufeff" + text).encode(), text.replace("\r\n", "\n")):
        parsed = parse_dump(data)
        assert parsed.source_columns == ["Demo List", "name", "email", "planet"]
        assert parsed.error_columns == ["_Error_1_"]
        assert parsed.rows[0].values["email"] == "junk"


def test_missing_line_column_leaves_line_unknown() -> None:
    parsed = parse_dump(
        dump_csv(["code", "amount", "_Error_1_"], [["A1", "x", "Invalid number: x"]])
    )

    assert not parsed.has_line_column
    assert parsed.source_columns == ["code", "amount"]
    assert parsed.rows[0].line is None
    assert analyse_dump(parsed).groups[0].samples[0].line is None


def test_dump_without_error_columns_has_no_failing_rows() -> None:
    parsed = parse_dump(dump_csv(["code", "_Line_"], [["A", "2"], ["B", "3"]]))
    analysis = analyse_dump(parsed)

    assert parsed.error_columns == []
    assert analysis.total_rows == 2
    assert analysis.failing_rows == 0
    assert analysis.groups == []


def test_empty_and_header_only_dumps_give_empty_results() -> None:
    for data in (b"", "", "\r\n\r\n", dump_csv(HEADER, [])):
        parsed = parse_dump(data)
        assert parsed.rows == []
        assert analyse_dump(parsed).total_rows == 0


def test_multiple_error_columns_and_ragged_rows() -> None:
    header = ["code", "qty", "_Line_", "_Error_1_", "_Error_2_"]
    text = dump_csv(
        header,
        [
            ["A", "x", "2", "Invalid number: x", "Invalid date: 2024-02-30"],
            ["B", "1", "3", "", ""],
            ["C"],
            ["D", "y", "5", "Invalid number: y", "", "Extra message"],
        ],
    )
    parsed = parse_dump(text)

    assert [row.errors for row in parsed.rows] == [
        ["Invalid number: x", "Invalid date: 2024-02-30"],
        [],
        [],
        ["Invalid number: y", "Extra message"],
    ]
    assert parsed.rows[2].values == {"code": "C", "qty": ""}
    analysis = analyse_dump(parsed)
    assert analysis.failing_rows == 2
    assert analysis.group_count == 3


def _large_dump(rows: int) -> bytes:
    body = []
    for index in range(rows):
        if index % 3 == 0:
            body.append(
                [f"Zürich-{index}", f"v{index}x", "", str(index + 2), f"Invalid number: v{index}x"]
            )
        else:
            body.append(
                [
                    f"Zürich-{index}",
                    "1",
                    f"P{index}",
                    str(index + 2),
                    f"Item not located in planet list: P{index}",
                ]
            )
    return dump_csv(["city", "amount", "planet", "_Line_", "_Error_1_"], body).encode()


def test_thirty_thousand_rows_are_grouped_by_pattern() -> None:
    whole = analyse_dump(parse_dump(_large_dump(30_000)))

    assert whole.total_rows == whole.failing_rows == 30_000
    assert [(g.pattern, g.rows) for g in whole.groups] == [
        ("Item not located in planet list: <value>", 20_000),
        ("Invalid number: <value>", 10_000),
    ]
    assert whole.groups[0].samples[0].value == "P1"


def test_paging_covers_every_row_once() -> None:
    parsed = parse_dump(dump_csv(HEADER, [["i", "", "", "", str(n), "e"] for n in range(2, 25)]))
    seen, offset = [], 0
    while True:
        page = page_rows(parsed, offset, 5)
        seen += [row.line for row in page.rows]
        if page.next_offset is None:
            break
        offset = page.next_offset
    assert seen == list(range(2, 25))
    assert page_rows(parsed, 100, 5).rows == []


def test_paging_rejects_bad_arguments() -> None:
    parsed = parse_dump(dump_csv(HEADER, []))
    for offset, limit in ((-1, 5), (0, 0)):
        try:
            page_rows(parsed, offset, limit)
        except ValueError:
            continue
        raise AssertionError("expected ValueError")


field_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\ufeff"), max_size=20
)
column_name = st.from_regex(r"[A-Za-z][A-Za-z0-9 ]{0,10}[A-Za-z0-9]", fullmatch=True)


@settings(max_examples=60, deadline=None)
@given(
    columns=st.lists(column_name, min_size=1, max_size=4, unique=True),
    data=st.data(),
    as_bytes=st.booleans(),
)
def test_any_csv_written_by_the_csv_module_round_trips(
    columns: list[str], data: st.DataObject, as_bytes: bool
) -> None:
    records = data.draw(
        st.lists(
            st.tuples(
                st.lists(field_text, min_size=len(columns), max_size=len(columns)), field_text
            ),
            max_size=8,
        )
    )
    rows = [[*values, str(n + 2), error] for n, (values, error) in enumerate(records)]
    text = dump_csv([*columns, "_Line_", "_Error_1_"], rows)

    parsed = parse_dump(text.encode() if as_bytes else text)

    assert parsed.source_columns == columns
    assert [row.values for row in parsed.rows] == [
        dict(zip(columns, v, strict=True)) for v, _ in records
    ]
    assert [row.errors for row in parsed.rows] == [
        [e.strip()] if e.strip() else [] for _, e in records
    ]
    assert [row.line for row in parsed.rows] == list(range(2, 2 + len(records)))
