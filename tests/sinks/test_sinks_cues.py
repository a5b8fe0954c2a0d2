"""Voice cues: what is said for each event, and when, against a whole workout in virtual time."""

from __future__ import annotations

import asyncio

import pytest

from retrowalk.engine.bus import Bus
from retrowalk.engine.events import (
    BeltAtRest,
    ChangeAhead,
    CoachMode,
    EndAhead,
    Finished,
    Hold,
    HoldCause,
    Notice,
    Paused,
    RestReason,
    StartAhead,
    StepStarted,
    TurnPhase,
    TurnPhaseChanged,
    TurnStarted,
)
from retrowalk.sinks.cues import (
    HOLD_PHRASES,
    CueReport,
    CueState,
    run_cues,
    run_voice,
    select_cues,
)
from retrowalk.sinks.speaker import Speaker
from retrowalk.sinks.speech import URGENT
from screen_plans import B, F, intro_plan, make_plan, play, snapshot

PLAN = intro_plan()


class ClockedVoice:
    """A speech backend paced like espeak-ng here (0.55 s + 60 ms a character); logs start times."""

    name = "clocked"

    def __init__(self) -> None:
        self.log: list[tuple[float, str]] = []

    async def speak(self, text: str, *, priority: int) -> None:
        """Log the start time, then take as long as espeak-ng would."""
        self.log.append((asyncio.get_running_loop().time(), text))
        # Measured: "Turn around in 5." renders to 1.58 s of WAV, "4" to 0.75 s.
        await asyncio.sleep(0.55 + 0.06 * len(text))


def _ahead(seconds: int, *, turn: bool = True, t: float = 100.0) -> ChangeAhead:
    return ChangeAhead(t=t, seconds=seconds, next_index=1, next_direction=B, next_speed_kmh=2.0,
                       next_incline_pct=0.0, turn=turn)  # fmt: skip


def test_countdown_announces_then_counts_each_valid_for_its_second() -> None:
    """The first countdown event says what comes; later ones say the number, each for 1 s."""
    state = CueState()
    spoken = []
    for n, t in zip(range(5, 0, -1), range(100, 105), strict=True):
        state, cues = select_cues(_ahead(n, t=float(t)), state, PLAN)
        spoken += [(c.text, c.valid_until) for c in cues]
    assert spoken[0] == ("Slowing to turn in 5.", 101.5)
    assert spoken[1:] == [("4", 102.0), ("3", 103.0), ("2", 104.0), ("1", 105.0)]


def test_countdown_without_turn_says_change() -> None:
    """A speed change ahead is announced as a change, not a turn."""
    _, cues = select_cues(_ahead(5, turn=False), CueState(), PLAN)
    assert cues[0].text == "Change in 5."


def test_turn_instructions_tell_the_truth_about_the_belt() -> None:
    """Slowing, stopping, then "belt stopped: turn around" only with the window; face the rear."""
    state, cues = select_cues(
        TurnStarted(t=0.0, before_step=1, from_direction=F, to_direction=B, window_s=12.0,
                    confirm=True), CueState(), PLAN)  # fmt: skip
    texts = [c.text for c in cues]
    phases = (TurnPhase.RAMP_DOWN, TurnPhase.STOPPING, TurnPhase.WINDOW,
              TurnPhase.AWAITING_CONFIRM, TurnPhase.STARTING, TurnPhase.RAMP_UP)  # fmt: skip
    for phase in phases:
        state, cues = select_cues(
            TurnPhaseChanged(t=5.0, phase=phase, remaining_s=12.0), state, PLAN
        )
        texts += [c.text for c in cues]
    assert texts == [
        "Slowing down. Hold the rails.",
        "Belt stopping. Hold the rails.",
        "Belt stopped. Turn around now, to face the rear of the treadmill.",
        "When you are ready, press Enter.",
        "Belt starting slowly. Walk backward.",
    ]


def test_the_end_is_counted_down_and_the_belt_at_rest_announced() -> None:
    """The end: "Workout ends in 5 seconds, the belt will stop", 4..1, "Belt stopped", done."""
    state = CueState()
    texts = []
    for n in range(5, 0, -1):
        state, cues = select_cues(EndAhead(t=100.0 - n, seconds=n), state, PLAN)
        texts += [c.text for c in cues]
    for item in (BeltAtRest(t=102.0, why=RestReason.END),
                 Finished(t=102.1, elapsed_s=102.0, distance_m=1.0, energy_kcal=1.0,
                          steps_completed=1, steps_skipped=0, belt_stopped=True)):  # fmt: skip
        state, cues = select_cues(item, state, PLAN)
        texts += [c.text for c in cues]
    assert texts == ["Workout ends in 5. The belt will stop.", "4", "3", "2", "1",
                     "Belt stopped. You can step off.", "Workout complete. Well done."]  # fmt: skip


def test_a_start_countdown_says_how_to_wait_and_starts_anew_after_a_pause() -> None:
    """A confirm-by-countdown says how to stop it; after a pause a new countdown is announced."""
    state = CueState()
    texts = []
    items = [StartAhead(t=1.0, seconds=5), StartAhead(t=2.0, seconds=4), Paused(t=2.5),
             StartAhead(t=9.0, seconds=5)]  # fmt: skip
    for item in items:
        state, cues = select_cues(item, state, PLAN)
        texts += [c.text for c in cues]
    wait = "Starting in 5. Press Space or Escape to wait."
    assert texts == [wait, "4", "Paused.", wait]


def test_safety_notices_are_spoken_urgently_others_are_not() -> None:
    """A Notice with safety=True is said at once (urgent); a plain notice is for the screen."""
    _, cues = select_cues(
        Notice(t=1.0, message="the belt is still moving: hold the rails", safety=True),
        CueState(),
        PLAN,
    )
    assert [(c.text, c.priority) for c in cues] == [
        ("The belt is still moving: hold the rails.", URGENT)
    ]
    _, cues = select_cues(
        Notice(t=1.0, message="fitted to the machine: 2.7 -> 3.0 km/h"), CueState(), PLAN
    )
    assert cues == []


def test_a_stop_for_a_hold_is_confirmed_when_the_belt_is_at_rest() -> None:
    """After a hold or an emergency stop the voice says when the belt has actually stopped."""
    for why in (RestReason.HOLD, RestReason.EMERGENCY_STOP):
        _, cues = select_cues(BeltAtRest(t=3.0, why=why), CueState(), PLAN)
        assert [c.text for c in cues] == ["The belt has stopped."]


def test_imperial_voice_speaks_miles_per_hour() -> None:
    """In imperial units a step and the coach's instruction are spoken in miles per hour."""
    step = StepStarted(t=0.0, index=1, count=8, direction=B, label=None, cue=None,
                       duration_s=120.0, distance_m=None, speed_kmh=4.02336,
                       incline_pct=0.0)  # fmt: skip
    _, cues = select_cues(step, CueState(), PLAN, units="imperial")
    assert [c.text for c in cues] == ["Backward, 2.5 miles per hour."]
    coach = CoachMode(t=0.0, reason="no control point", speed_kmh=4.02336, incline_pct=2.0)
    _, cues = select_cues(coach, CueState(), PLAN, units="imperial")
    said = "Set the speed to 2.5 miles per hour and the incline to 2 percent at the console."
    assert [c.text for c in cues] == [f"Coach mode. {said}"]


def test_step_start_speaks_target_and_the_interval_cue() -> None:
    """A step start says direction, speed, incline and the workout's own cue text."""
    event = StepStarted(t=0.0, index=1, count=8, direction=B, label="Backward 1",
                        cue="Hands on the rails.", duration_s=120.0, distance_m=None,
                        speed_kmh=2.0, incline_pct=5.0)  # fmt: skip
    _, cues = select_cues(event, CueState(), PLAN)
    assert [c.text for c in cues] == [
        "Backward, 2.0 kilometres per hour, incline 5 percent. Hands on the rails."
    ]


@pytest.mark.parametrize("cause", list(HoldCause))
def test_every_hold_cause_is_spoken_with_its_advice(cause: HoldCause) -> None:
    """Each HOLD cause is said urgently, with what to do."""
    event = Hold(t=1.0, cause=cause, detail="x", advice="Press Enter to resume.")
    _, cues = select_cues(event, CueState(), PLAN)
    assert len(cues) == 1
    assert cues[0].priority == URGENT
    assert cues[0].valid_until is None
    assert HOLD_PHRASES[cause] in cues[0].text
    assert cues[0].text.endswith("Press Enter to resume.")


def test_halfway_and_minute_marks_are_said_once_per_long_step() -> None:
    """A 3-minute step gets 'Halfway.' and 'One minute left.' once each; a 2-minute only halfway."""
    state = CueState()
    said: list[tuple[int, str]] = []
    for index in (1, 2):  # 120 s backward, then 180 s forward
        duration = PLAN.steps[index].planned_s
        for elapsed in range(int(duration)):
            snap = snapshot(PLAN, step_index=index, step_remaining_s=duration - elapsed, t=elapsed)
            state, cues = select_cues(snap, state, PLAN)
            said += [(index, c.text) for c in cues]
    assert said == [(1, "Halfway."), (2, "Halfway."), (2, "One minute left.")]


def test_finished_says_the_belt_state() -> None:
    """The end of the workout is spoken, saying whether the belt is stopped."""
    event = Finished(t=9.0, elapsed_s=9.0, distance_m=1.0, energy_kcal=1.0, steps_completed=1,
                     steps_skipped=0, belt_stopped=True)  # fmt: skip
    _, cues = select_cues(event, CueState(), PLAN)
    assert cues[0].text == "Workout complete. Well done. The belt is stopped."


async def test_whole_intro_workout_cue_timeline() -> None:
    """Over a retro-intro run every turn is counted down 5..1 on the second and then instructed."""
    bus = Bus()
    channel = bus.subscribe("cues")
    voice = ClockedVoice()
    async with Speaker(voice) as speaker, asyncio.TaskGroup() as group:
        group.create_task(run_cues(channel, speaker, plan=PLAN))
        t0 = asyncio.get_running_loop().time()
        await play(PLAN, bus)
        await asyncio.sleep(10)
    log = [(round(t - t0, 2), text) for t, text in voice.log]
    turn_times = [t for t, text in log if text == "Slowing down. Hold the rails."]
    assert len(turn_times) == len(PLAN.transitions) == 6
    for turn_at in turn_times:
        before = [(turn_at - t, text) for t, text in log if turn_at - 6 < t < turn_at]
        assert [text for _, text in before] == ["Slowing to turn in 5.", "4", "3", "2", "1"]
        for lead, (ahead, _text) in zip(range(5, 0, -1), before, strict=True):
            # Said within its own second (the first phrase runs long, so numbers may lag a bit).
            assert lead - 1.0 < ahead <= lead
        after = [text for t, text in log if turn_at <= t < turn_at + 30]
        assert after[:5] == [
            "Slowing down. Hold the rails.",
            "Belt stopping. Hold the rails.",
            after[2],
            "When you are ready, press Enter.",
            after[4],
        ]
        assert after[2].startswith("Belt stopped. Turn around now, to face the")
        assert after[4].startswith("Belt starting slowly. Walk")
    texts = [text for _, text in log]
    end = texts.index("Workout ends in 5. The belt will stop.")
    assert texts[end:] == [
        "Workout ends in 5. The belt will stop.", "3", "2", "1",
        "Belt stopped. You can step off.", "Workout complete. Well done.",
    ]  # fmt: skip
    assert speaker.dropped_stale == 1  # "4": the end's first phrase runs past its second


def test_tiny_plan_builder_counts_turns() -> None:
    """The test plan builder inserts a transition at each direction change (guards the helper)."""
    plan = make_plan([(F, 60, 4.0, 0, None), (B, 60, 2.0, 0, None), (F, 60, 4.0, 0, None)])
    assert [t.before_step for t in plan.transitions] == [1, 2]


async def test_run_voice_follows_the_channel_to_its_end() -> None:
    """run_voice (what `retrowalk run --voice KIND` starts) ends when the engine closes the bus."""
    bus = Bus()
    channel = bus.subscribe("voice")
    loop = asyncio.get_running_loop()
    async with asyncio.TaskGroup() as group:
        voice = group.create_task(run_voice(channel, "off", plan=PLAN))
        await play(PLAN, bus)
        closed_at = loop.time()
        async with asyncio.timeout(1.0):  # a voice that outlives the engine would hang `run`
            await voice
    assert loop.time() - closed_at < 0.1


async def test_run_voice_reports_every_cue_on_the_workout_clock() -> None:
    """The session log's hook gets each cue with its workout time, spoken or dropped."""
    bus = Bus()
    channel = bus.subscribe("voice")
    reports: list[CueReport] = []
    async with asyncio.TaskGroup() as group:
        group.create_task(run_voice(channel, "off", plan=PLAN, on_report=reports.append))
        await play(PLAN, bus)
    said = [(round(r.t), r.text) for r in reports if r.spoken]
    first_turn = PLAN.transitions[0].start_s
    assert (round(first_turn - 5), "Slowing to turn in 5.") in said
    assert said[-1][1] == "Workout complete. Well done."
    assert all(r.to_dict()["type"] == "CueReport" for r in reports)
