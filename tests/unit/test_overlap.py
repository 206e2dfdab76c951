"""The helper that runs a grading run's side work in a thread: started once, waited for, errors kept."""

from __future__ import annotations

import threading

import pytest

from autograder.grading.overlap import Beside


def test_started_work_is_done_when_the_block_ends() -> None:
    done = []
    release = threading.Event()
    with Beside(lambda: (release.wait(5), done.append(1))).start():
        assert done == []  # still waiting beside the block
        release.set()
    assert done == [1]


def test_starting_twice_runs_the_work_once() -> None:
    calls = []
    side = Beside(lambda: calls.append(1))
    with side:
        side.start()
        side.start()
    assert calls == [1]


def test_work_never_started_is_never_run() -> None:
    calls = []
    with Beside(lambda: calls.append(1)):
        pass
    assert calls == []


def test_an_error_of_the_work_is_raised_where_it_is_waited_for() -> None:
    def fail() -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"), Beside(fail).start():
        pass


def test_an_error_of_the_block_wins_over_the_work_s() -> None:
    def fail() -> None:
        raise OSError("disk full")

    with pytest.raises(KeyError), Beside(fail).start():
        raise KeyError("the block's own")
