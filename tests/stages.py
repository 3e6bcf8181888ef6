"""Staged scenarios: a long story told as one test per stage, so that a failure names
the stage that broke.

    stage = Stages()


    @pytest.fixture(scope="module")
    def meeting(module_app):
        return Scenario(app=module_app, staff=...)


    @stage
    def test_staff_draft_the_meeting(meeting):
        ...  # the stage's requests and the assertions on what they answered and stored
        meeting.id = ...  # what the later stages need


    @stage
    def test_the_notice(meeting): ...

Every stage is a test that gets the module's ``Scenario`` (one per backend, on
``module_app``'s database) and stores on it what the stages below need. The stages run
in the order they are written, each at most once per Scenario: before a stage runs, the
stages above it that have not yet run on this Scenario run first, since pytest-xdist may
give a worker only the later tests of a module (or ``-k`` select one). Once a stage has
failed, the stages below it are reported as xfailed, naming it; a stage that fails while
it runs for a later one fails that one too, as ``EarlierStageFailed`` naming it. A stage
below one marked ``slow`` is marked ``slow`` too, as it runs that one when it has not run.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from types import SimpleNamespace

import pytest


class Scenario(SimpleNamespace):
    """What the stages of one scenario share: the app, clients, and the ids and codes
    that each stage stores for the next ones."""


class EarlierStageFailed(Exception):
    """A stage failed while it ran before a later one (its own error is chained)."""


class Stages:
    """The stages of one module's scenario, in the order they are written."""

    def __init__(self) -> None:
        self._stages: list[Callable[[Scenario], None]] = []
        self._tests: list[Callable] = []

    def __call__(self, func: Callable[[Scenario], None]):
        (name,) = inspect.signature(func).parameters  # a stage takes only the Scenario
        upto = len(self._stages) + 1
        self._stages.append(func)

        @functools.wraps(func)
        def run(**fixtures):
            scenario = fixtures[name]
            outcomes = scenario.__dict__.setdefault("_stage_outcomes", {})
            for stage in self._stages[:upto]:
                outcome = outcomes.get(stage.__name__)
                if outcome == "failed" and stage is func:
                    pytest.fail("this stage failed already, when a later stage ran it first")
                if outcome == "failed":
                    pytest.xfail(f"an earlier stage failed: {stage.__name__}")
                if outcome is None:
                    outcomes[stage.__name__] = "failed"
                    if stage is func:
                        stage(scenario)
                    else:
                        try:
                            stage(scenario)
                        except Exception as exc:
                            raise EarlierStageFailed(f"{stage.__name__} failed when run before this stage") from exc
                    outcomes[stage.__name__] = "passed"

        if any(mark.name == "slow" for test in self._tests for mark in getattr(test, "pytestmark", [])):
            run = pytest.mark.slow(run)
        self._tests.append(run)
        return run
