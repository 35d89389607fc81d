from diagnosis_dump_builders import dump_csv
from hypothesis import given
from hypothesis import strategies as st

from anaplan_mcp.diagnosis.dumps import (
    DumpAnalysis,
    analyse_dump,
    error_pattern,
    implicated_columns,
    parse_dump,
)
from anaplan_mcp.diagnosis.knowledge import explain_row_error

HEADER = ["code", "name", "amount", "start", "planet", "_Line_", "_Error_1_"]


def _analyse(rows: list[list[str]], **options: int) -> DumpAnalysis:
    numbered = [[*row[:5], str(n + 2), row[5]] for n, row in enumerate(rows)]
    return analyse_dump(parse_dump(dump_csv(HEADER, numbered)), **options)


def test_same_pattern_with_different_values_is_one_group() -> None:
    analysis = _analyse(
        [
            ["A", "n", "junk", "", "", "Invalid number: junk"],
            ["B", "n", "12x", "", "", "Invalid number: 12x"],
            ["C", "n", "1.2.3", "", "", "Invalid number: 1.2.3"],
        ]
    )

    assert analysis.group_count == 1
    group = analysis.groups[0]
    assert group.rows == 3
    assert "junk" not in group.pattern
    assert "12x" not in group.pattern
    assert group.pattern.startswith("Invalid number")


def test_different_messages_are_different_groups() -> None:
    analysis = _analyse(
        [
            ["A", "n", "junk", "", "", "Invalid number: junk"],
            ["B", "n", "1", "2024-99-99", "", "Invalid date: 2024-99-99"],
            ["C", "n", "1", "", "Mars", "Item not located in planet list: Mars"],
        ]
    )

    assert analysis.group_count == 3
    assert len({group.pattern for group in analysis.groups}) == 3


def test_masking_hides_quoted_values_numbers_dates_and_row_values() -> None:
    pairs = [
        ('Value "abc" is too long (12 characters)', 'Value "xyzzy" is too long (400 characters)'),
        ("Period 2024-01-31 is closed", "Period 2025-12-01 is closed"),
        ("Column 85717 not mapped", "Column 9 not mapped"),
    ]
    for first, second in pairs:
        assert error_pattern(first) == error_pattern(second)
    assert error_pattern("Widget is not a valid boolean", ["Widget"]) == error_pattern(
        "Gadget is not a valid boolean", ["Gadget"]
    )
    assert error_pattern("Invalid number: ") != error_pattern("Invalid number: 5")


@given(value=st.text(min_size=1).filter(lambda text: text.strip() != ""))
def test_any_value_after_the_colon_masks_to_the_same_pattern(value: str) -> None:
    assert error_pattern(f"Invalid number: {value}") == error_pattern("Invalid number: junk")


def test_implicated_column_by_value_name_and_blankness() -> None:
    values = {"code": "A1", "amount": "junk", "planet": "", "name": "Widget"}

    assert implicated_columns("Invalid number: junk", values) == ["amount"]
    assert implicated_columns("The planet could not be mapped", values) == ["planet"]
    assert implicated_columns("A required value is missing", values) == ["planet"]
    assert implicated_columns("Widget is not a valid boolean", values) == ["name"]
    assert implicated_columns("Something else entirely", values) == []


def test_groups_report_columns_and_samples_with_the_failing_value() -> None:
    analysis = _analyse([["A", "n", "junk", "", "", "Invalid number: junk"]])
    group = analysis.groups[0]

    assert group.columns == ["amount"]
    sample = group.samples[0]
    assert (sample.line, sample.column, sample.value) == (2, "amount", "junk")
    assert sample.error == "Invalid number: junk"


def test_unattributable_errors_have_no_column() -> None:
    sample = _analyse([["A", "n", "1", "", "", "Server hiccup"]]).groups[0].samples[0]
    assert sample.column is None
    assert sample.value is None


def test_groups_are_ranked_by_count_then_first_appearance() -> None:
    rows = [
        ["A", "n", "1", "", "x", "Item not located in planet list: x"],
        ["B", "n", "q", "", "", "Invalid number: q"],
        ["C", "n", "1", "", "", "Weird failure"],
        ["D", "n", "r", "", "", "Invalid number: r"],
        ["E", "n", "1", "", "y", "Item not located in planet list: y"],
        ["F", "n", "s", "", "", "Invalid number: s"],
    ]
    analysis = _analyse(rows)

    assert [group.rows for group in analysis.groups] == [3, 2, 1]
    assert analysis.groups[1].samples[0].line == 2
    assert analysis.groups[2].pattern == "Weird failure"


def test_sampling_and_group_limits() -> None:
    rows = [["A", "n", f"v{n}x", "", "", f"Invalid number: v{n}x"] for n in range(10)]
    rows += [["B", "n", "1", "", "", f"Distinct failure kind {chr(65 + n)}"] for n in range(4)]
    analysis = _analyse(rows, max_groups=2, samples_per_group=2)

    assert [sample.line for sample in analysis.groups[0].samples] == [2, 3]
    assert len(analysis.groups) == 2
    assert analysis.group_count == 5
    assert analysis.groups_omitted == 3
    assert analysis.failing_rows == analysis.total_rows == 14


def test_analysis_is_deterministic() -> None:
    rows = [["A", "n", str(n), "", "", f"Err {n % 4}: {n}"] for n in range(50)]
    assert _analyse(rows).model_dump_json() == _analyse(rows).model_dump_json()


def test_group_patterns_resolve_in_the_knowledge_base() -> None:
    analysis = _analyse([["A", "n", "junk", "", "", "Invalid number: junk"]])
    entry = explain_row_error(analysis.groups[0].pattern)
    assert entry is not None
    assert entry.kind == "row_error"
