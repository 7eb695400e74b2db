"""An Asterisk 20.20.1 simulator for the FastAGI side, driven by scripted callers.

sim = SimulatedAsterisk("127.0.0.1", 4573, sounds=SoundLibrary([prompts_dir]))
caller = Caller([Press("4"), Press("5", barge_in=True), Silence(), Speak(wav, end="#"), HangUp()])
trace = await sim.place_call("survey?tenant=norrtalje&queue=bygglov", caller)
"""

from ivr.sim.asterisk import SimulatedAsterisk
from ivr.sim.caller import Action, Caller, HangUp, Press, Silence, Speak
from ivr.sim.commands.base import RecordedFile
from ivr.sim.sounds import Sound, SoundLibrary
from ivr.sim.trace import CallTrace, TraceLine

__all__ = [
    "Action",
    "CallTrace",
    "Caller",
    "HangUp",
    "Press",
    "RecordedFile",
    "Silence",
    "SimulatedAsterisk",
    "Sound",
    "SoundLibrary",
    "Speak",
    "TraceLine",
]
