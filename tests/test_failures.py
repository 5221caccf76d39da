"""A check's `got:` is bounded once, for every check: a flooding program costs its points, not a
message of megabytes (the first lines and characters, then a count of the rest)."""

from __future__ import annotations

from graders.vocabulary.failures import GOT_LINE_CHARS, GOT_LINES, CheckFailed, bounded, few

PINGS_OF_A_PINGER_THAT_NEVER_STOPS = list(range(1, 154_445))  # the grading that printed 1.8 MB, twice


def test_a_flood_on_one_line_is_cut_with_a_count_of_the_rest() -> None:
    got = f"the pings were numbered {PINGS_OF_A_PINGER_THAT_NEVER_STOPS}"
    failure = CheckFailed(expected="ten pings", got=got)
    assert len(failure.got) <= GOT_LINE_CHARS
    kept, _, count = failure.got.partition("... (")
    assert kept.startswith("the pings were numbered [1, 2, 3, ")
    assert count == f"{len(got) - len(kept):,} more characters)"
    assert len(str(failure)) < 2 * GOT_LINE_CHARS  # what pytest prints of the exception, too


def test_a_flood_of_lines_keeps_the_first_and_counts_the_rest() -> None:
    got = "\n".join(f"Request {seq} timed out." for seq in range(1, 10_001))
    lines = CheckFailed(expected="ten lines", got=got).got.splitlines()
    assert len(lines) == GOT_LINES
    assert lines[0] == "Request 1 timed out."
    assert lines[-1] == f"... ({10_000 - GOT_LINES + 1:,} more lines)"


def test_a_short_got_is_left_as_it_was_and_bounding_twice_changes_nothing() -> None:
    short = "status 200\nstdout was:\n  (nothing)\n"
    flood = "\n".join(["x" * 5_000] * 500)
    assert bounded(short) == short
    assert bounded(bounded(flood)) == bounded(flood)


def test_a_list_names_its_first_items_then_how_many_more() -> None:
    assert few([1, 2, 3]) == "1, 2, 3"
    assert few(PINGS_OF_A_PINGER_THAT_NEVER_STOPS) == "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ... (154,434 more)"
