"""`AmiOriginator`: the dialer's `Originator` over `AMIClient.originate` (asynchronous Originate).

Asterisk's verdict comes back as it is: `answered` when OriginateResponse says Success (the citizen picked up,
Reason 4), else the Reason (busy 5, no answer 3, congestion 8, failure 0, hangup 1), which the dialer retries
and counts. When Asterisk is not reached or refuses the action (connection lost or reconnecting, a timeout,
`Extension does not exist.`, a missing write=originate) the AMI error is raised: to the dialer an Originate
that raises reached nobody, so the request is retried later without counting an attempt. Refusals that only
a person can fix are logged as errors saying what to check.

A connection lost after Asterisk queued the Originate leaves the outcome unknown: the citizen's phone may ring
and the call go on in the dialplan while the dialer counts it as not placed and dials again later.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from ivr.ami import AMIActionError, AMIClient, AMIPermissionError
from ivr.queueing.dialer import OriginateOutcome

log = logging.getLogger(__name__)


class AmiOriginator:
    def __init__(self, ami: AMIClient) -> None:
        self._ami = ami

    async def originate(
        self,
        *,
        channel: str,
        context: str,
        exten: str,
        priority: int,
        caller_id: str,
        variables: Mapping[str, str],
        timeout_s: float,
    ) -> OriginateOutcome:
        try:
            result = await self._ami.originate(
                channel,
                context=context,
                exten=exten,
                priority=priority,
                timeout_s=timeout_s,
                caller_id=caller_id or None,
                variables=variables,
            )
        except AMIPermissionError as error:
            log.error("Originate refused: %s", error)
            raise
        except AMIActionError as error:
            log.error(
                "Originate to %s refused by Asterisk (%s): check that the dialplan has context %r (and "
                "the dial string's context) and that the AMI user may originate",
                channel,
                error.message or error,
                context,
            )
            raise
        return OriginateOutcome(
            answered=result.success,
            reason=result.reason,
            channel=result.channel or None,
            uniqueid=result.uniqueid,
        )
