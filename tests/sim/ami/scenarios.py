"""The dialplans and queues of the recorded Asterisk (the `# dialplan:` header of each ami-*.txt), so that the
simulated PBX faces the recorded client with the same configuration."""

from __future__ import annotations

from ivr.sim.ami import (
    Agent,
    Answers,
    Busy,
    Congestion,
    Fixed,
    Hold,
    JoinQueue,
    NoAnswer,
    QueueConfig,
    SimulatedPBX,
)

from .transcript import Transcript


def sim_queue(*, announcement_s: float) -> QueueConfig:
    """sim-queue: ringall, announce-holdtime=yes, announce-frequency=15.

    The members' dialplan [q-agents]: m2 is Ringing, Wait(2), Answer, Wait(60); m1 is Ringing, Wait(3),
    Answer, Wait(6), Hangup, and its recorded calls lasted 6.5 s from the bridge. An announcement (position,
    "thank you") took 7.05 s in the recordings."""
    members = (
        Agent("Local/m2@q-agents/n", "Member Two", answers_after_s=2.0, talk=Fixed(60.0)),
        Agent("Local/m1@q-agents/n", "Member One", answers_after_s=3.0, talk=Fixed(6.5)),
    )
    return QueueConfig(
        "sim-queue",
        members=members,
        strategy="ringall",
        announce_frequency_s=15,
        announcement_s=announcement_s,
    )


def pbx_for(transcript: Transcript) -> SimulatedPBX:
    pbx = SimulatedPBX(time_scale=0.0, epoch=transcript.epoch_at_start, seed=1)
    dialplan = pbx.dialplan
    dialplan.add_party("orig-answer", Answers(hangs_up_after_s=3.0))
    dialplan.add_party("orig-busy", Busy())
    dialplan.add_party("orig-congestion", Congestion())
    dialplan.add_party("orig-noanswer", NoAnswer())
    dialplan.add_party("orig-long", Answers(hangs_up_after_s=8.0))
    dialplan.add_context("orig-target", Hold(2.0))
    dialplan.add_context("orig-long", Hold(8.0, answers_first=True))
    if transcript.name.startswith("ami-A"):
        pbx.add_queue(QueueConfig("survey-queue", members=(Agent("Local/agent@agents/n", "Agent Local"),)))
    first_run = transcript.name.startswith("ami-C2")
    pbx.add_queue(sim_queue(announcement_s=7.05))
    caller_three_waits = 25.0 if first_run else 35.0
    dialplan.add_party("qcaller-stay1", Answers(hangs_up_after_s=40.0))
    dialplan.add_party("qcaller-abandon", Answers(hangs_up_after_s=6.0))
    dialplan.add_party("qcaller-stay3", Answers(hangs_up_after_s=caller_three_waits))
    dialplan.add_context("queue-sim", JoinQueue("sim-queue", max_wait_s=90.0))
    if transcript.name.startswith("ami-E"):
        after_the_queue_runs(pbx, transcript)
    return pbx


def after_the_queue_runs(pbx: SimulatedPBX, transcript: Transcript) -> None:
    """ami-E was recorded on the Asterisk that had just run ami-C: sim-queue's figures as `queue show` printed
    them then (8 s holdtime, 7 s talktime, 2 completed, 1 abandoned, each member one call)."""
    queue = pbx.queue("sim-queue")
    shown_at = next(
        step.at for step in transcript.steps if ("Command", "queue show sim-queue") in step.fields
    )
    now = int(transcript.epoch_at_start + shown_at)
    queue.stats.holdtime, queue.stats.talktime = 8, 7
    queue.stats.completed, queue.stats.abandoned = 2, 1
    for interface, last_call_ago in (("Local/m2@q-agents/n", 140), ("Local/m1@q-agents/n", 168)):
        member = queue.member(interface)
        assert member is not None
        member.calls, member.last_call, member.login_time = 1, now - last_call_ago, now - 185
