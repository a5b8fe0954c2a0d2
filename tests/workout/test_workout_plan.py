"""The plan: repeats unrolled, a turn wherever the walking direction changes, honest totals."""

from __future__ import annotations

import textwrap

import pytest

from retrowalk.errors import ConfigError
from retrowalk.workout import build_plan, parse_workout
from retrowalk.workout.plan import Direction, Plan, SpeedTarget, TurnMode, TurnSpec


def plan_of(intervals: str, head: str = "", **kwargs: float) -> Plan:
    """Return the plan of a workout with these intervals (YAML list lines)."""
    text = f"name: T\n{head}intervals:\n{textwrap.dedent(intervals)}"
    return build_plan(parse_workout(text, "w.yaml"), **kwargs)


def test_steps_carry_targets_labels_cues_and_locations() -> None:
    """Each step keeps direction, length, speed, incline, label, cue and its file position."""
    plan = plan_of(
        """\
        - forward: 5:00
          speed: 4.0
          incline: 2
          label: Warm-up
          cue: Easy pace.
        """
    )
    (step,) = plan.steps
    assert step.direction is Direction.FORWARD
    assert (step.start_s, step.planned_s, step.duration_s, step.distance_m) == (0, 300, 300, None)
    assert step.speed == SpeedTarget(4.0, 4.0)
    assert (step.incline_pct, step.label, step.cue) == (2, "Warm-up", "Easy pace.")
    assert step.path == "intervals[0]"
    assert (step.location.file, step.location.line, step.location.column) == ("w.yaml", 3, 3)
    assert plan.transitions == ()


def test_a_turn_wherever_direction_changes_with_the_window_in_the_timeline() -> None:
    """Forward->backward->forward gives two turns; each turn window shifts later steps."""
    plan = plan_of(
        """\
        - {forward: 5:00, speed: 4}
        - {backward: 2:00, speed: 2}
        - {forward: 3:00, speed: 4}
        """,
        head="turn: {window: 10s}\n",
    )
    assert [t.before_step for t in plan.transitions] == [1, 2]
    first, second = plan.transitions
    assert (first.from_direction, first.to_direction, first.start_s) == (
        Direction.FORWARD,
        Direction.BACKWARD,
        300,
    )
    assert (second.from_direction, second.to_direction, second.start_s) == (
        Direction.BACKWARD,
        Direction.FORWARD,
        430,
    )
    assert [s.start_s for s in plan.steps] == [0, 310, 440]
    assert plan.transition_before(1) is first
    assert plan.transition_before(0) is None


def test_backward_first_interval_starts_with_a_turn() -> None:
    """A workout that starts backward has a turn (from nowhere) before its first step."""
    plan = plan_of("- {backward: 2:00, speed: 2}\n")
    (turn,) = plan.transitions
    assert (turn.before_step, turn.from_direction, turn.to_direction) == (
        0,
        None,
        Direction.BACKWARD,
    )
    assert plan.steps[0].start_s == 12  # the default 12 s window


def test_rest_between_different_directions_still_turns_after_the_rest() -> None:
    """Forward, rest, backward: the turn comes after the rest, before walking backward."""
    plan = plan_of(
        """\
        - {forward: 2:00, speed: 4}
        - {rest: 1:00}
        - {backward: 2:00, speed: 2}
        - {rest: 1:00}
        - {backward: 2:00, speed: 2}
        """
    )
    assert [(t.before_step, t.from_direction) for t in plan.transitions] == [(2, Direction.FORWARD)]
    rest = plan.steps[1]
    assert (rest.direction, rest.speed, rest.incline_pct) == (Direction.REST, None, 0.0)


def test_same_direction_in_a_row_needs_no_turn() -> None:
    """Two forward intervals in a row (a speed change) have no turn between them."""
    plan = plan_of("- {forward: 2:00, speed: 4}\n- {forward: 2:00, speed: 5}\n")
    assert plan.transitions == ()


def test_repeat_expands_to_n_copies_in_order_and_nests() -> None:
    """A repeat of a repeat unrolls into every copy, in order, with the source path kept."""
    plan = plan_of(
        """\
        - repeat: 2
          intervals:
            - {forward: 1:00, speed: 4}
            - repeat: 3
              intervals:
                - {backward: 0:30, speed: 2}
        """
    )
    directions = [s.direction.value[0] for s in plan.steps]
    assert "".join(directions) == "fbbbfbbb"
    assert plan.steps[1].path == "intervals[0].intervals[1].intervals[0]"
    assert [s.index for s in plan.steps] == list(range(8))
    assert plan.totals.turns == 3  # f->b, b->f, f->b: the b,b,b run needs none


def test_turn_override_applies_to_the_turn_into_that_interval() -> None:
    """An interval's `turn:` overrides the workout's turn for the turn before that interval."""
    plan = plan_of(
        """\
        - {forward: 1:00, speed: 4}
        - {backward: 1:00, speed: 2, turn: {window: 20s, confirm: false}}
        - {forward: 1:00, speed: 4}
        """,
        head="turn: {mode: slow, window: 8s, slow_speed: 1.2}\n",
    )
    into_backward, into_forward = (t.turn for t in plan.transitions)
    assert into_backward == TurnSpec(TurnMode.SLOW, 20.0, False, 1.2)
    assert into_forward == TurnSpec(TurnMode.SLOW, 8.0, True, 1.2)


def test_distance_step_is_planned_from_its_mean_speed() -> None:
    """A 400 m step at 4 km/h is planned at 360 s; a ramp uses its mean speed."""
    plan = plan_of(
        """\
        - {forward: 400m, speed: 4}
        - {forward: 1km, speed: {from: 4, to: 6}}
        """
    )
    first, ramp = plan.steps
    assert (first.distance_m, first.duration_s, first.planned_s) == (400, None, 360)
    assert ramp.planned_s == pytest.approx(720)
    assert ramp.speed is not None
    assert ramp.speed.is_ramp
    assert plan.totals.distance_m == pytest.approx(1400)


def test_totals() -> None:
    """Totals give time with and without turns, backward time, turns and distance."""
    plan = plan_of(
        """\
        - {forward: 5:00, speed: 6}
        - {backward: 2:00, speed: 3}
        - {rest: 1:00}
        - {forward: 3:00, speed: 6}
        """,
        head="turn: {window: 15s}\n",
    )
    totals = plan.totals
    assert totals.duration_s == 660
    assert totals.duration_with_turns_s == 690
    assert totals.backward_s == 120
    assert totals.turns == 2
    assert totals.distance_m == pytest.approx(500 + 100 + 300)


def test_energy_uses_default_mass_and_says_so() -> None:
    """Without a body mass the estimate uses 70 kg and flags it as the default."""
    default = plan_of("- {forward: 10:00, speed: 4}\n").totals
    assert (default.body_mass_kg, default.body_mass_is_default) == (70.0, True)
    assert default.energy_kcal == pytest.approx(35.58, abs=0.01)
    heavy = plan_of("- {forward: 10:00, speed: 4}\n", body_mass_kg=140).totals
    assert (heavy.body_mass_kg, heavy.body_mass_is_default) == (140.0, False)
    assert heavy.energy_kcal == pytest.approx(2 * default.energy_kcal)


def test_energy_counts_turn_windows_as_standing() -> None:
    """Turn windows add standing energy (1.3 METs) to the walking estimate."""
    walking = plan_of("- {forward: 10:00, speed: 4}\n").totals.energy_kcal
    turned = plan_of("- {backward: 10:00, speed: 4}\n", head="turn: {window: 60s}\n").totals
    standing_per_min = 1.3 * 3.5 * 70 / 200
    backward_per_min = (3.5 + 1.75 * 0.1 * 4000 / 60) * 70 / 200
    assert turned.energy_kcal == pytest.approx(10 * backward_per_min + standing_per_min)
    assert turned.energy_kcal > walking


def test_implausible_body_mass_is_refused() -> None:
    """A body mass of 5 kg is refused with the plausible range."""
    with pytest.raises(ConfigError, match="body mass 5 kg is not plausible; give 20 to 300 kg"):
        plan_of("- {forward: 1:00, speed: 4}\n", body_mass_kg=5)


def test_plan_header_fields() -> None:
    """The plan carries the workout's name, source, declared profile and countdown."""
    plan = plan_of("- {forward: 1:00, speed: 4}\n", head="profile: beginner\ncountdown: 8s\n")
    assert (plan.name, plan.source, plan.profile, plan.countdown_s) == (
        "T",
        "w.yaml",
        "beginner",
        8,
    )


def test_a_repeats_label_labels_its_unlabelled_steps() -> None:
    """`label` on a repeat names the steps inside that have no label of their own."""
    plan = plan_of(
        """\
        - repeat: 2
          label: Block A
          intervals:
            - {forward: 1:00, speed: 4}
            - {backward: 1:00, speed: 2, label: Back}
        """
    )
    assert [s.label for s in plan.steps] == ["Block A", "Back", "Block A", "Back"]
