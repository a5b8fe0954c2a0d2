"""`retrowalk voice`: speak a test sentence, and say which speech engine and output it used.

Try the voice before stepping on the belt. On Linux a speech engine with no audio output (no
sound server, no sound card: espeak-ng says nothing and exits 0) is found out and reported, and
the terminal bell rings instead. Exit codes: 0 the voice spoke as chosen, 1 it could not be
heard here (the bell rang instead, or the speech program failed), 2 bad input.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from retrowalk.sinks.speech import KINDS

if TYPE_CHECKING:
    import argparse

    from retrowalk.sinks.speaker import SpeechReport
    from retrowalk.sinks.speech import AudioProbe, VoiceChoice

TEST_SENTENCE = (
    "This is the retrowalk voice. Before every change you will hear a countdown, "
    "and before every turn: slowing to turn in 3, 2, 1."
)
SPEAKING_S = 30.0  # the longest a test sentence may take to be said


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `retrowalk voice`."""
    p = subparsers.add_parser(
        "voice",
        help="try the voice: speak a test sentence, name engine and output",
        description="Speak a test sentence with the chosen voice, and say which speech engine "
        "and which sound output it used. A speech engine that nobody can hear (no sound server, "
        "no sound card) is reported, and the terminal bell rings instead. Exit codes: 0 spoken, "
        "1 not heard here, 2 bad input.",
    )
    p.add_argument(
        "--voice",
        metavar="KIND",
        help=f"{', '.join(KINDS)} (default: voice in config.toml, else auto)",
    )
    p.add_argument("--say", metavar="TEXT", default=TEST_SENTENCE, help="the sentence to speak")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Speak the test sentence with the voice asked for (or the config's, or auto)."""
    from retrowalk.config import load_config  # noqa: PLC0415 - lazy CLI import

    kind = args.voice or load_config().voice or "auto"
    return voice_test(kind, text=args.say, out=sys.stdout)


def voice_test(
    kind: str, *, text: str = TEST_SENTENCE, out: TextIO, probe: AudioProbe | None = None
) -> int:
    """Say `text` with voice `kind`, print which engine and output spoke; return the exit code."""
    import asyncio  # noqa: PLC0415 - only this command speaks

    from retrowalk.sinks.speech import choose_voice  # noqa: PLC0415 - lazy CLI import

    choice = choose_voice(kind, probe=probe)
    print(f"voice: {choice.describe()}", file=out, flush=True)
    if choice.kind == "off":
        print("nothing was said (voice off)", file=out)
        return 0
    reports = asyncio.run(_speak(choice, text))
    said = next((r for r in reports if r.spoken), None)
    if said is None:
        why = reports[-1].why if reports else "nothing happened"
        print(f"the voice could not speak ({why}): check {choice.program or choice.kind}", file=out)
        return 1
    if choice.problem is not None:
        print("rang the terminal bell instead of speaking: nobody could hear the voice", file=out)
        return 1
    print(f"said with {choice.describe()}: {text}", file=out)
    return 0


async def _speak(choice: VoiceChoice, text: str) -> list[SpeechReport]:
    from retrowalk.sinks.speaker import make_speaker  # noqa: PLC0415 - lazy CLI import
    from retrowalk.sinks.speech import CHANGE  # noqa: PLC0415 - lazy CLI import

    reports: list[SpeechReport] = []
    async with make_speaker(choice, on_report=reports.append) as speaker:
        speaker.say(text, priority=CHANGE)
        await speaker.drain(within_s=SPEAKING_S)
    return reports
