"""The rubrics of the written answers (autograder/rubric.py): PS1's own held to its points, the
deduction arithmetic for every choice of items, and each broken file named in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import ps1
from hypothesis import given
from hypothesis import strategies as st

from autograder.errors import InputError
from autograder.rubric import load_rubrics

RUBRICS = load_rubrics(ps1.RUBRIC_FILE, ps1.PROBLEM_SET)
WRITTEN = [q for q in ps1.QUESTIONS if q.manual]


def test_every_written_question_has_a_rubric_held_to_its_points() -> None:
    assert sorted(RUBRICS) == sorted(q.grade_id for q in WRITTEN)
    for q in WRITTEN:
        items = RUBRICS[q.grade_id].items
        assert [i.points for i in items if i.points == 0] == [0], "one item marks a complete answer"
        assert 0 < -sum(i.points for i in items) <= q.points, q.grade_id
        assert all(i.text.endswith(".") for i in items)


def test_the_usual_mistakes_have_items() -> None:
    """What the rubric must catch (the seed's solution text): the naive sweep's missing terms in 1b, the
    Jacobian's diagonal, its transpose and the batch in 2."""
    ids = {grade_id: {i.id for i in r.items} for grade_id, r in RUBRICS.items()}
    assert {"cross_term", "first_order_terms", "squared_terms"} <= ids["p1b_written"]
    assert {"no_diagonal", "transposed_product", "no_batch"} <= ids["p2_written"]
    assert {"no_accumulation", "no_sweep"} <= ids["p1a_written"]


@given(st.data())
def test_any_choice_of_items_scores_between_zero_and_full_marks(data: st.DataObject) -> None:
    rubric = RUBRICS[data.draw(st.sampled_from(sorted(RUBRICS)))]
    chosen = data.draw(st.lists(st.sampled_from([i.id for i in rubric.items]), unique=True))
    score = rubric.score(chosen)
    assert 0 <= score <= rubric.question.points
    assert score == rubric.question.points + sum(rubric.item(i).points for i in chosen)
    assert rubric.ordered(set(chosen)) == [i.id for i in rubric.items if i.id in chosen]


def test_an_unknown_item_names_the_known_ones() -> None:
    with pytest.raises(InputError, match="unknown rubric item 'nope' for p2_written; its items: correct"):
        RUBRICS["p2_written"].score(["nope"])


ITEM = '[[p2_written]]\nid = "a"\npoints = -1\ntext = "A."\n'


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[[p2_written]\nid = 1", ["cannot be read", "line 1"]),
        (
            ITEM + '\n[[p2_written]]\nid = "b"\npoints = 2\ntext = "B."\n',
            [":6:", "b's points 2", "0 or negative"],
        ),
        (ITEM.replace("-1", "-16"), ["take off 16 points", "question's 15"]),
        (ITEM + ITEM, ["item id(s) a more than once"]),
        (ITEM.replace('id = "a"', 'id = "a b"'), [":1:", "no spaces"]),
        (ITEM.replace('text = "A."', 'text = " "'), ["needs the sentence"]),
        (ITEM.replace('text = "A."\n', ""), ["exactly id, points and text"]),
        (ITEM.replace("p2_written", "p3_tests"), [":1:", "'p3_tests' is not a hand-graded question"]),
        ("p2_written = 3\n", ["as [[p2_written]] tables"]),
        (ITEM.replace("-1", "true"), ["must be 0 or negative"]),
    ],
    ids=[
        "syntax",
        "positive",
        "too-much",
        "twice",
        "space",
        "no-text",
        "no-key",
        "autograded",
        "not-a-table",
        "bool",
    ],
)
def test_a_broken_file_is_one_line_with_its_place(tmp_path: Path, text: str, words: list[str]) -> None:
    path = tmp_path / "rubric.toml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_rubrics(path, ps1.PROBLEM_SET)
    message = str(err.value)
    assert "\n" not in message and str(path) in message
    for word in words:
        assert word in message, (word, message)


def test_no_file_means_no_rubrics(tmp_path: Path) -> None:
    assert load_rubrics(tmp_path / "rubric.toml", ps1.PROBLEM_SET) == {}
