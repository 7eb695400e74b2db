"""Queue snapshots read from the QueueStatus responses of a real Asterisk 20 (ami-C-queue.txt)."""

from __future__ import annotations

import pytest

from ivr.queueing.snapshot import DeviceStatus, SnapshotError, snapshot_from_queue_status

from .test_estimate_support import ami_messages, queue_status_events

QUEUE_RUN = "ami-C-queue.txt"


def test_empty_queue_with_two_free_members() -> None:
    snapshot = snapshot_from_queue_status(*queue_status_events(QUEUE_RUN, "qs-t0-empty"))

    assert snapshot.queue == "sim-queue"
    assert [m.interface for m in snapshot.members] == ["Local/m2@q-agents/n", "Local/m1@q-agents/n"]
    assert [m.name for m in snapshot.members] == ["Member Two", "Member One"]
    assert all(m.status is DeviceStatus.NOT_INUSE for m in snapshot.members)
    assert len(snapshot.free) == 2
    assert snapshot.callers == ()
    assert (snapshot.holdtime_s, snapshot.completed, snapshot.abandoned) == (0, 0, 0)


def test_one_member_paused_for_lunch_the_other_talking_two_callers_waiting() -> None:
    params, members, entries = queue_status_events(QUEUE_RUN, "qs-t6-c1-talking")
    snapshot = snapshot_from_queue_status(
        params, members, entries, taken_at=1795350277.0, busy_since={"Local/m1@q-agents/n": 1795350275.0}
    )

    m2, m1 = snapshot.members
    assert (m2.paused, m2.in_call, m2.status, m2.can_take_calls) == (
        True,
        False,
        DeviceStatus.NOT_INUSE,
        False,
    )
    assert (m1.paused, m1.in_call, m1.status, m1.busy) == (False, True, DeviceStatus.INUSE, True)
    assert m1.busy_since == 1795350275.0
    assert m2.paused_since == 1795350271.0  # LastPause
    assert m1.paused_since is None
    assert snapshot.staffed == (m1,)
    assert snapshot.free == ()
    assert [(c.position, c.waited_s, c.uniqueid) for c in snapshot.callers] == [
        (1, 4.0, "1795350273.4"),
        (2, 3.0, "1795350274.6"),
    ]
    assert snapshot.holdtime_s == 3
    assert snapshot.taken_at == 1795350277.0


def test_after_an_abandon_and_a_completion() -> None:
    snapshot = snapshot_from_queue_status(*queue_status_events(QUEUE_RUN, "qs-t31-c3-talking"))

    m2, m1 = snapshot.members
    assert (m2.in_call, m2.paused) == (True, False)
    assert (m1.in_call, m1.paused) == (False, True)  # paused with reason "wrapup" after its call
    assert (snapshot.holdtime_s, snapshot.talktime_s, snapshot.completed, snapshot.abandoned) == (8, 6, 1, 1)
    assert snapshot.waiting == 0


def test_busy_since_is_kept_only_for_members_in_a_call() -> None:
    params, members, entries = queue_status_events(QUEUE_RUN, "qs-t6-c1-talking")
    answered = {"Local/m1@q-agents/n": 100.0, "Local/m2@q-agents/n": 50.0}

    snapshot = snapshot_from_queue_status(params, members, entries, busy_since=answered)

    assert {m.interface: m.busy_since for m in snapshot.members} == {
        "Local/m1@q-agents/n": 100.0,
        "Local/m2@q-agents/n": None,
    }


def test_callers_are_ordered_by_position_whatever_the_event_order() -> None:
    params, members, entries = queue_status_events(QUEUE_RUN, "qs-t6-c1-talking")

    snapshot = snapshot_from_queue_status(params, members, list(reversed(entries)))

    assert [c.position for c in snapshot.callers] == [1, 2]


def test_ringing_member_is_not_busy_but_logged_out_one_is_not_logged_in() -> None:
    params, members, _ = queue_status_events(QUEUE_RUN, "qs-t0-empty")
    ringing = {**members[0], "Status": "6"}
    unavailable = {**members[1], "Status": "5"}

    snapshot = snapshot_from_queue_status(params, [ringing, unavailable], [])

    assert snapshot.members[0].status is DeviceStatus.RINGING
    assert not snapshot.members[0].busy
    assert not snapshot.members[1].logged_in
    assert snapshot.staffed == (snapshot.members[0],)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"Event": "QueueEntry"}, "expected a QueueMember event, got QueueEntry"),
        ({"Queue": "other"}, "QueueMember for queue 'other' in the status of queue 'sim-queue'"),
        ({"Status": "12"}, "unknown Status 12"),
        ({"Status": "busy"}, "Status: 'busy' is not a whole number"),
    ],
)
def test_a_member_event_that_does_not_fit_is_refused_clearly(change: dict[str, str], message: str) -> None:
    params, members, entries = queue_status_events(QUEUE_RUN, "qs-t0-empty")

    with pytest.raises(SnapshotError, match=message):
        snapshot_from_queue_status(params, [{**members[0], **change}], entries)


def test_params_must_come_first_and_entries_need_a_position() -> None:
    params, members, entries = queue_status_events(QUEUE_RUN, "qs-t6-c1-talking")

    with pytest.raises(SnapshotError, match="expected a QueueParams event, got QueueMember"):
        snapshot_from_queue_status(members[0], members, entries)
    without_position = {k: v for k, v in entries[0].items() if k != "Position"}
    with pytest.raises(SnapshotError, match="QueueEntry has no Position field"):
        snapshot_from_queue_status(params, members, [without_position])


@pytest.mark.parametrize("transcript", ["ami-C-queue.txt", "ami-C2-queue-abandon-while-agent-rings.txt"])
def test_every_recorded_queue_status_reads_into_a_consistent_snapshot(transcript: str) -> None:
    messages = ami_messages(transcript)
    action_ids = [m["ActionID"] for m in messages if m.get("Event") == "QueueStatusComplete"]
    assert len(action_ids) >= 5

    for action_id in action_ids:
        params, members, entries = queue_status_events(transcript, action_id)
        snapshot = snapshot_from_queue_status(params, members, entries)
        assert snapshot.waiting == int(params["Calls"]), action_id
        assert [c.position for c in snapshot.callers] == list(range(1, snapshot.waiting + 1)), action_id
        assert len(snapshot.members) == 2, action_id
