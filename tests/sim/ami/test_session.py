"""The AMI session as the recorded Asterisk runs it: banner, login, permissions, event masks, reconnects."""

from __future__ import annotations

import time

from ivr.sim.ami import Answers, Hold, SimulatedPBX
from ivr.sim.ami.wire import BANNER, MAX_LINE_BYTES

from .helpers import ADMIN, LIMITED, client, logged_in, running, settle


def pbx_with_a_party() -> SimulatedPBX:
    pbx = SimulatedPBX(epoch=1_800_000_000.0)
    pbx.dialplan.add_party("orig-answer", Answers(hangs_up_after_s=3.0))
    pbx.dialplan.add_party("slow", Answers(after_s=5.0))
    pbx.dialplan.add_context("orig-target", Hold(2.0))
    return pbx


ORIGINATE = (
    ("Action", "Originate"),
    ("Channel", "Local/s@orig-answer"),
    ("Context", "orig-target"),
    ("Exten", "s"),
    ("Priority", "1"),
    ("Async", "true"),
)


async def test_banner_and_responses_are_crlf_lines_ending_with_an_empty_line() -> None:
    async with running(pbx_with_a_party()) as port:
        connection = await client(port)
        await connection.action(
            ("Action", "Login"), ("ActionID", "l1"), ("Username", "admin"), ("Secret", "test-secret")
        )

        assert connection.raw.startswith(BANNER)
        assert (
            b"Response: Success\r\nActionID: l1\r\nMessage: Authentication accepted\r\n\r\n" in connection.raw
        )
        await connection.close()


async def test_a_failed_login_answers_after_a_scaled_second_and_closes() -> None:
    async with running(SimulatedPBX(time_scale=0.1)) as port:
        connection = await client(port)
        started = time.perf_counter()
        response = await connection.action(("Action", "Login"), ("Username", "admin"), ("Secret", "wrong"))
        elapsed = time.perf_counter() - started
        await connection.wait_closed()

        assert dict(response) == {"Response": "Error", "Message": "Authentication failed"}
        assert 0.1 <= elapsed < 1.0
        await connection.close()


async def test_only_login_and_logoff_run_before_login() -> None:
    async with running(pbx_with_a_party()) as port:
        connection = await client(port)
        denied = [
            await connection.action(("Action", name)) for name in ("Ping", "QueueStatus", "NoSuchAction")
        ]
        goodbye = await connection.action(("Action", "Logoff"))
        await connection.wait_closed()

        assert {dict(response)["Message"] for response in denied} == {"Permission denied"}
        assert dict(goodbye) == {"Response": "Goodbye", "Message": "Thanks for all the fish."}
        await connection.close()


async def test_a_second_login_and_odd_messages() -> None:
    async with running(pbx_with_a_party()) as port:
        connection = await logged_in(port)
        again = await connection.action(("Action", "Login"), ("Username", "limited"), ("Secret", "x"))
        no_action = await connection.action(("ActionID", "x1"), ("Foo", "bar"))
        lower_case = await connection.action(("action", "PING"))
        unknown = await connection.action(("Action", "Frobnicate"))

        assert dict(again) == {"Response": "Success", "Message": "Already authenticated"}
        assert dict(no_action) == {
            "Response": "Error",
            "ActionID": "x1",
            "Message": "Missing action in request",
        }
        assert dict(lower_case)["Ping"] == "Pong"
        assert dict(unknown)["Message"] == (
            "Invalid/unknown command: Frobnicate. Use Action: ListCommands to show available commands."
        )
        await connection.close()


async def test_write_classes_decide_which_actions_run() -> None:
    async with running(pbx_with_a_party()) as port:
        connection = await logged_in(port, LIMITED)
        outcomes = {}
        for action in ("Command", "GetVar", "Setvar", "Hangup", "CoreShowChannels", "QueuePause"):
            outcomes[action] = dict(await connection.action(("Action", action)))["Message"]
        allowed = [
            dict(await connection.action(("Action", name)))["Response"] for name in ("Ping", "QueueSummary")
        ]
        originate = dict(await connection.action(*ORIGINATE))

        assert set(outcomes.values()) == {"Permission denied"}
        assert allowed == ["Success", "Success"]
        assert originate["Message"] == "Originate successfully queued"
        await connection.close()


async def test_originate_refuses_system_applications_to_users_without_system() -> None:
    async with running(pbx_with_a_party()) as port:
        limited, admin = await logged_in(port, LIMITED), await logged_in(port, ADMIN, events="off")
        system = (("Action", "Originate"), ("Channel", "Local/s@orig-answer"), ("Application", "System"))
        trysystem = (*system[:2], ("Application", "TrySystem"), ("Data", "true"), ("Async", "yes"))

        assert dict(await limited.action(*system))["Message"] == (
            "Originate Access Forbidden: app or data blacklisted"
        )
        assert dict(await limited.action(*trysystem))["Response"] == "Error"
        assert dict(await admin.action(*trysystem))["Message"] == "Originate successfully queued"
        await limited.close()
        await admin.close()


async def test_events_reach_only_the_sessions_whose_mask_and_read_classes_allow_them() -> None:
    pbx = pbx_with_a_party()
    async with running(pbx) as port:
        calls = await logged_in(port, events="call")
        agents = await logged_in(port, events="agent")
        silent = await logged_in(port, events="off")
        limited = await logged_in(port, LIMITED, events="on")
        switched = await logged_in(port, events="off")
        assert dict(await switched.action(("Action", "Events"), ("EventMask", "call")))["Events"] == "On"

        await calls.action(*ORIGINATE)
        await settle()

        assert calls.events("Newchannel")
        assert switched.events("OriginateResponse")
        assert limited.events("OriginateResponse")
        assert agents.events() == silent.events() == []
        for connection in (calls, agents, silent, limited, switched):
            await connection.close()


async def test_system_events_bring_fully_booted_after_login() -> None:
    async with running(pbx_with_a_party()) as port:
        everything = await logged_in(port, events="on")
        calls_only = await logged_in(port, events="call")
        await settle()

        assert everything.events("FullyBooted")[0]["Status"] == "Fully Booted"
        assert calls_only.events("FullyBooted") == []
        await everything.close()
        await calls_only.close()


async def test_events_missed_while_disconnected_are_not_replayed() -> None:
    pbx = pbx_with_a_party()
    async with running(pbx) as port:
        watcher = await logged_in(port, events="call")
        dialer = await logged_in(port, events="off")
        await dialer.action(*ORIGINATE)
        await settle()
        await watcher.close()
        await pbx.advance(10.0)
        again = await logged_in(port, events="call")
        await settle()

        assert [e["Channel"] for e in watcher.events("Hangup")] == []
        assert again.events() == []
        await dialer.close()
        await again.close()


async def test_ping_stamps_the_model_clock() -> None:
    pbx = pbx_with_a_party()
    async with running(pbx) as port:
        connection = await logged_in(port, events="off")
        await pbx.advance(12.5)
        pong = dict(await connection.action(("Action", "Ping"), ("ActionID", "p")))

        assert pong["ActionID"] == "p"
        assert pong["Timestamp"] == "1800000012.500000"
        await connection.close()


async def test_a_synchronous_originate_answers_when_the_party_does_and_its_events_follow() -> None:
    pbx = pbx_with_a_party()
    async with running(pbx) as port:
        connection = await logged_in(port, events="call")
        sync = (("Action", "Originate"), ("Channel", "Local/s@slow"), ("Context", "orig-target"))
        connection.send([*sync, ("Exten", "s"), ("Priority", "1"), ("ActionID", "sync")])
        await settle()
        answered_before = connection.responses
        await pbx.advance(5.0)
        await connection.wait_for(lambda: connection.responses == 2)
        await settle()

        kinds = [message[0] for message in connection.messages]
        response = kinds.index(("Response", "Success"), 2)
        assert answered_before == 1
        assert dict(connection.messages[response])["Message"] == "Originate successfully queued"
        assert kinds.index(("Event", "Newchannel")) > response
        assert connection.events("OriginateResponse") == []
        await connection.close()


async def test_originate_checks_its_arguments_in_asterisks_order() -> None:
    async with running(pbx_with_a_party()) as port:
        connection = await logged_in(port, events="off")
        cases = {
            "Channel not specified": [("Context", "orig-target")],
            "Invalid channel": [("Channel", "nonsense")],
            "Invalid timeout": [("Channel", "Local/s@orig-answer"), ("Timeout", "soon")],
            "Invalid priority": [("Channel", "Local/s@orig-answer"), ("Priority", "first")],
            "Extension does not exist.": [
                ("Channel", "Local/s@orig-answer"),
                ("Context", "no-such-context"),
                ("Exten", "s"),
                ("Priority", "1"),
            ],
            "Originate with 'Exten' requires 'Context' and 'Priority'": [("Channel", "Local/s@orig-answer")],
        }
        for message, fields in cases.items():
            response = dict(await connection.action(("Action", "Originate"), *fields))
            assert (response["Response"], response["Message"]) == ("Error", message)
        await connection.close()


async def test_a_line_longer_than_the_limit_ends_the_session() -> None:
    async with running(pbx_with_a_party()) as port:
        connection = await client(port)
        connection.send([("Action", "Ping"), ("ActionID", "x" * (MAX_LINE_BYTES + 10))])
        await connection.wait_closed()

        assert connection.responses == 0
        await connection.close()
