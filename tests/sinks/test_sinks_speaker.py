"""The Speaker: never blocks, drops stale cues, lets urgent ones cut in, reports every cue."""

from __future__ import annotations

import array
import asyncio
import io
import math
import shutil
import wave
from typing import TYPE_CHECKING

import pytest

from retrowalk.errors import ConfigError
from retrowalk.sinks.speaker import (
    BellBackend,
    CommandBackend,
    Speaker,
    SpeechReport,
    make_speaker,
    render_to_wav,
)
from retrowalk.sinks.speech import CHANGE, INFO, URGENT

if TYPE_CHECKING:
    from pathlib import Path


class SlowVoice:
    """A backend that takes one second per utterance and records what it finished or was cut."""

    name = "slow"

    def __init__(self) -> None:
        self.started: list[str] = []
        self.cut: list[str] = []

    async def speak(self, text: str, *, priority: int) -> None:
        """Take one second, noting a cut."""
        self.started.append(text)
        try:
            await asyncio.sleep(1.0)
        except asyncio.CancelledError:
            self.cut.append(text)
            raise


async def test_say_returns_at_once_and_speaks_in_order() -> None:
    """say() queues without waiting; the worker speaks the queue in order."""
    voice = SlowVoice()
    loop = asyncio.get_running_loop()
    async with Speaker(voice) as speaker:
        before = loop.time()
        for text in ("one", "two", "three"):
            speaker.say(text)
        assert loop.time() == before
        await asyncio.sleep(3.5)
    assert list(speaker.spoken) == ["one", "two", "three"]


async def test_stale_cue_is_dropped_not_spoken_late() -> None:
    """A countdown number whose second has passed while another cue played is never said."""
    voice = SlowVoice()
    loop = asyncio.get_running_loop()
    async with Speaker(voice) as speaker:
        now = loop.time()
        speaker.say("Turn around in 5.", valid_until=now + 1.5)
        speaker.say("4", valid_until=now + 0.5)  # its second ends while the first plays
        speaker.say("3", valid_until=now + 2.5)
        await asyncio.sleep(3)
    assert list(speaker.spoken) == ["Turn around in 5.", "3"]
    assert speaker.dropped_stale == 1


async def test_urgent_cue_cuts_current_and_queued_lesser_cues() -> None:
    """A HOLD cue interrupts the utterance in progress and removes queued lesser ones."""
    voice = SlowVoice()
    async with Speaker(voice) as speaker:
        speaker.say("Halfway.", priority=INFO)
        speaker.say("One minute left.", priority=INFO)
        await asyncio.sleep(0.3)
        speaker.say("Hold. Emergency stop.", priority=URGENT)
        await asyncio.sleep(2)
    assert voice.cut == ["Halfway."]
    assert list(speaker.spoken) == ["Hold. Emergency stop."]
    assert speaker.dropped_superseded == 1


async def test_equal_priority_waits_its_turn() -> None:
    """A cue of the same priority never cuts another."""
    voice = SlowVoice()
    async with Speaker(voice) as speaker:
        speaker.say("Turn around now.", priority=CHANGE)
        speaker.say("When you are ready, press Enter.", priority=CHANGE)
        await asyncio.sleep(2.5)
    assert voice.cut == []
    assert list(speaker.spoken) == ["Turn around now.", "When you are ready, press Enter."]


async def test_full_queue_drops_least_urgent() -> None:
    """A bounded queue drops its least urgent cue instead of growing or blocking."""
    voice = SlowVoice()
    async with Speaker(voice, maxsize=2) as speaker:
        speaker.say("a", priority=CHANGE)
        await asyncio.sleep(0.1)  # "a" is now playing, the queue is empty
        speaker.say("b", priority=CHANGE)
        speaker.say("c", priority=CHANGE)
        speaker.say("d", priority=CHANGE)
        await asyncio.sleep(4)
    assert list(speaker.spoken) == ["a", "c", "d"]


async def test_say_outside_context_is_an_error() -> None:
    """Using a Speaker that is not entered fails loudly instead of silently saying nothing."""
    with pytest.raises(RuntimeError, match="async with"):
        Speaker(SlowVoice()).say("hello")


async def test_bell_rings_three_times_when_urgent() -> None:
    """The bell fallback rings once per cue and three times for an urgent one."""
    stream = io.StringIO()
    async with Speaker(BellBackend(stream)) as speaker:
        speaker.say("4", priority=CHANGE)
        await asyncio.sleep(1)
        speaker.say("Hold.", priority=URGENT)
        await asyncio.sleep(1)
    assert stream.getvalue() == "\a" * 4


async def test_every_cue_is_reported_spoken_or_dropped_with_why() -> None:
    """The report hook hears of every cue once: spoken, stale, superseded, cut, closed."""
    voice = SlowVoice()
    reports: list[SpeechReport] = []
    loop = asyncio.get_running_loop()
    async with Speaker(voice, on_report=reports.append) as speaker:
        now = loop.time()
        speaker.say("Halfway.", priority=INFO)  # cut by the hold
        speaker.say("One minute left.", priority=INFO)  # superseded by the hold
        await asyncio.sleep(0.3)
        speaker.say("Hold. Emergency stop.", priority=URGENT)
        speaker.say("4", valid_until=now + 0.5, priority=URGENT)  # stale by its turn
        await asyncio.sleep(1.5)
        speaker.say("Paused.", priority=CHANGE)
        speaker.say("Resuming.", priority=CHANGE)  # still queued when the voice closes
        await asyncio.sleep(0.5)
    outcomes = [(r.text, r.spoken, r.why) for r in reports]
    assert sorted(outcomes) == sorted(
        [
            ("Halfway.", False, "cut"),
            ("One minute left.", False, "superseded"),
            ("Hold. Emergency stop.", True, "spoken"),
            ("4", False, "stale"),
            ("Paused.", False, "closed"),
            ("Resuming.", False, "closed"),
        ]
    )
    assert all(now <= r.at <= loop.time() for r in reports)


async def test_a_failing_voice_program_is_reported_and_the_queue_goes_on() -> None:
    """A voice program that fails is counted and reported; the next cue is still spoken."""
    reports: list[SpeechReport] = []
    backend = CommandBackend("gone", ("/nonexistent/voice-program",))
    async with Speaker(backend, on_report=reports.append) as speaker:
        speaker.say("one")
        await asyncio.sleep(0.5)
    assert [(r.text, r.why) for r in reports] == [("one", "failed")]
    assert speaker.failures == 1


async def test_a_broken_report_hook_does_not_silence_the_voice() -> None:
    """A report hook that raises (a closed log) is logged; speaking carries on."""

    def broken(report: SpeechReport) -> None:
        raise OSError("log closed")

    voice = SlowVoice()
    async with Speaker(voice, on_report=broken) as speaker:
        speaker.say("one")
        speaker.say("two")
        await asyncio.sleep(2.5)
    assert list(speaker.spoken) == ["one", "two"]


async def test_speaker_owns_its_tasks_and_passes_errors_through_unchanged() -> None:
    """An error in the body comes out as itself; no speech task outlives the `async with`."""
    before = asyncio.all_tasks()
    speaker = Speaker(SlowVoice())

    async def fail_while_speaking() -> None:
        async with speaker:
            speaker.say("a long one")
            await asyncio.sleep(0.2)
            raise KeyError("boom")

    with pytest.raises(KeyError):
        await fail_while_speaking()
    assert asyncio.all_tasks() - before == set()
    with pytest.raises(RuntimeError, match="reopened"):
        async with speaker:
            pass


async def test_cancelling_the_owner_cancels_the_speaker_cleanly() -> None:
    """Cancelling the task around a speaking Speaker ends it with CancelledError, not a group."""

    async def speak_forever() -> None:
        async with Speaker(SlowVoice()) as speaker:
            speaker.say("a")
            await asyncio.sleep(100)

    task = asyncio.get_running_loop().create_task(speak_forever())
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_unknown_voice_name_for_a_speaker_names_the_choices() -> None:
    """make_speaker with an unknown name is a ConfigError listing the allowed names."""
    with pytest.raises(ConfigError, match="auto, espeak, say, sapi, bell, off"):
        make_speaker("robot")


def _rms_and_seconds(path: Path) -> tuple[float, float]:
    with wave.open(str(path), "rb") as wav:
        assert wav.getsampwidth() == 2
        frames = wav.readframes(wav.getnframes())
        seconds = wav.getnframes() / wav.getframerate()
    samples = array.array("h", frames)
    rms = math.sqrt(sum(s * s for s in samples) / len(samples))
    return rms, seconds


@pytest.mark.realtime
async def test_espeak_renders_a_cue_to_audible_wav(tmp_path: Path) -> None:
    """Real espeak-ng renders a turn cue to a WAV that is loud enough and of speaking length."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt install espeak-ng); CI installs it")
    short, long = tmp_path / "short.wav", tmp_path / "long.wav"
    await render_to_wav("Turn around in 5.", short)
    await render_to_wav("Turn around now, to face the rear of the treadmill.", long)
    rms_short, seconds_short = _rms_and_seconds(short)
    rms_long, seconds_long = _rms_and_seconds(long)
    assert rms_short > 500  # full scale is 32767; silence is ~0
    assert rms_long > 500
    assert 0.6 < seconds_short < 2.5
    assert seconds_short < seconds_long < 6.0


@pytest.mark.realtime
async def test_cut_utterance_kills_its_process(tmp_path: Path) -> None:
    """Cutting an utterance kills the voice program at once and the queue carries on."""
    heard = tmp_path / "heard.txt"
    # A stand-in voice program: logs the text, then "speaks" for 30 s unless it is the HOLD.
    script = f'read -r line; echo "$line" >> {heard}; case "$line" in Hold*) ;; *) sleep 30;; esac'
    backend = CommandBackend("sh", ("sh", "-c", script))
    async with Speaker(backend) as speaker:
        speaker.say("A long sentence that is still being spoken.\n")
        async with asyncio.timeout(5):
            while not heard.exists():  # noqa: ASYNC110 - a file another process writes
                await asyncio.sleep(0.05)
        speaker.say("Hold.\n", priority=URGENT)
        async with asyncio.timeout(5):
            while list(speaker.spoken) != ["Hold.\n"]:  # noqa: ASYNC110 - real process, real time
                await asyncio.sleep(0.05)
    assert heard.read_text().splitlines() == [
        "A long sentence that is still being spoken.",
        "Hold.",
    ]
