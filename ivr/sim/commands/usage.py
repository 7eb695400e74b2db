"""The 520 usage texts. For the commands recorded in agi-07 this is Asterisk 20.20.1's text byte for byte (its
XML documentation, markup and all); for the others a short description in the same style."""

from __future__ import annotations

RECORDED_USAGE: dict[str, str] = {
    "stream file": (
        "Send the given file, allowing playback to be interrupted by the given digits, if any. "
        "Returns <literal>0</literal> if playback completes without a digit being pressed, or the "
        "ASCII numerical value of the digit if one was pressed, or <literal>-1</literal> on error or "
        "if the channel was disconnected. If musiconhold is playing before calling stream file it "
        "will be automatically stopped and will not be restarted after completion.\n"
        "It sets the following channel variables upon completion:\n"
        "<variable>PLAYBACKSTATUS</variable>: The status of the playback attempt as a text string.\n"
        "    <value>SUCCESS</value>\n"
        "    <value>FAILED</value>"
    ),
    "get data": (
        "Stream the given <replaceable>file</replaceable>, and receive DTMF data.\n"
        "Returns the digits received from the channel at the other end."
    ),
    "wait for digit": (
        "Waits up to <replaceable>timeout</replaceable> milliseconds for channel to receive a DTMF "
        "digit. Returns <literal>-1</literal> on channel failure, <literal>0</literal> if no digit "
        "is received in the timeout, or the numerical value of the ascii of the digit if one is "
        "received. Use <literal>-1</literal> for the <replaceable>timeout</replaceable> value if you "
        "desire the call to block indefinitely."
    ),
    "record file": (
        "Record to a file until a given dtmf digit in the sequence is received. Returns "
        "<literal>-1</literal> on hangup or error.  The format will specify what kind of file will "
        "be recorded. The <replaceable>timeout</replaceable> is the maximum record time in "
        "milliseconds, or <literal>-1</literal> for no <replaceable>timeout</replaceable>. "
        "<replaceable>offset samples</replaceable> is optional, and, if provided, will seek to the "
        "offset without exceeding the end of the file. <replaceable>beep</replaceable> can take any "
        "value, and causes Asterisk to play a beep to the channel that is about to be recorded. "
        "<replaceable>silence</replaceable> is the number of seconds of silence allowed before the "
        "function returns despite the lack of dtmf digits or reaching "
        "<replaceable>timeout</replaceable>. <replaceable>silence</replaceable> value must be "
        "preceded by <literal>s=</literal> and is also optional."
    ),
    "say number": (
        "Say a given number, returning early if any of the given DTMF digits are received on the "
        "channel.  Returns <literal>0</literal> if playback completes without a digit being pressed, "
        "or the ASCII numerical value of the digit if one was pressed or <literal>-1</literal> on "
        "error/hangup."
    ),
    "get variable": (
        "Returns <literal>0</literal> if <replaceable>variablename</replaceable> is not set. Returns "
        "<literal>1</literal> if <replaceable>variablename</replaceable> is set and returns the "
        "variable in parentheses.\n"
        "Example return code: 200 result=1 (testvariable)"
    ),
    "set variable": ("Sets a variable to the current channel."),
    "exec": (
        "Executes <replaceable>application</replaceable> with given "
        "<replaceable>options</replaceable>.\n"
        "Returns whatever the <replaceable>application</replaceable> returns, or "
        "<literal>-2</literal> on failure to find <replaceable>application</replaceable>.\n"
        "<note>NOTE:</note> exec does not evaluate dialplan functions and variables unless it is "
        "explicitly enabled by setting the <variable>AGIEXECFULL</variable> variable to "
        "<literal>yes</literal>."
    ),
}

OTHER_USAGE: dict[str, str] = {
    "answer": "Answers channel if not already in answer state.",
    "asyncagi break": (
        "Interrupts expected flow of Async AGI commands and returns control to previous source."
    ),
    "channel status": "Returns the status of the specified <replaceable>channelname</replaceable>.",
    "database del": (
        "Deletes an entry in the Asterisk database for a given <replaceable>family</replaceable> and "
        "<replaceable>key</replaceable>."
    ),
    "database deltree": (
        "Deletes a <replaceable>family</replaceable> or specific <replaceable>keytree</replaceable> "
        "within a <replaceable>family</replaceable> in the Asterisk database."
    ),
    "database get": (
        "Retrieves an entry in the Asterisk database for a given <replaceable>family</replaceable> "
        "and <replaceable>key</replaceable>."
    ),
    "database put": (
        "Adds or updates an entry in the Asterisk database for a given "
        "<replaceable>family</replaceable>, <replaceable>key</replaceable>, and "
        "<replaceable>value</replaceable>."
    ),
    "get full variable": (
        "Evaluates the given <replaceable>expression</replaceable> against the channel specified by "
        "<replaceable>channelname</replaceable>, or the current channel."
    ),
    "get option": "Behaves similar to STREAM FILE but used with a timeout option.",
    "hangup": "Hangs up the specified channel. If no channel name is given, hangs up the current channel",
    "noop": "Does nothing.",
    "receive char": "Receives a character of text on a channel.",
    "receive text": "Receives a string of text on a channel.",
    "say alpha": (
        "Say a given character string, returning early if any of the given DTMF digits are received "
        "on the channel."
    ),
    "say digits": (
        "Say a given digit string, returning early if any of the given DTMF digits are received on "
        "the channel."
    ),
    "say phonetic": (
        "Say a given character string with phonetics, returning early if any of the given DTMF "
        "digits are received on the channel."
    ),
    "say date": (
        "Say a given date, returning early if any of the given DTMF digits are received on the channel."
    ),
    "say time": (
        "Say a given time, returning early if any of the given DTMF digits are received on the channel."
    ),
    "say datetime": (
        "Say a given time, returning early if any of the given DTMF digits are received on the channel."
    ),
    "send image": "Sends the given image on a channel.",
    "send text": "Sends the given text on a channel.",
    "set autohangup": (
        "Cause the channel to automatically hangup at <replaceable>time</replaceable> seconds in the future."
    ),
    "set callerid": "Changes the callerid of the current channel.",
    "set context": "Sets the context for continuation upon exiting the application.",
    "set extension": "Changes the extension for continuation upon exiting the application.",
    "set music": "Enables/Disables the music on hold generator.",
    "set priority": "Changes the priority for continuation upon exiting the application.",
    "control stream file": (
        "Send the given file, allowing playback to be controlled by the given digits, if any."
    ),
    "tdd mode": "Enable/Disable TDD transmission/reception on a channel.",
    "verbose": "Sends <replaceable>message</replaceable> to the console via verbose message system.",
    "speech create": "Create a speech object to be used by the other Speech AGI commands.",
    "speech set": "Set an engine-specific setting.",
    "speech destroy": "Destroy the speech object created by SPEECH CREATE.",
    "speech load grammar": "Loads the specified grammar as the specified name.",
    "speech unload grammar": "Unloads the specified grammar.",
    "speech activate grammar": "Activates the specified grammar on the speech object.",
    "speech deactivate grammar": "Deactivates the specified grammar on the speech object.",
    "speech recognize": (
        "Plays back given <replaceable>prompt</replaceable> while listening for speech and dtmf."
    ),
}


def usage_text(command: str) -> str:
    """The usage text for a command given by its lower-case words, e.g. "get data"."""
    return RECORDED_USAGE.get(command) or OTHER_USAGE[command]
