"""The answer matcher on a table of spoken answers as a Swedish recogniser writes them, misrecognitions too.

Each row: question id (the shipped default survey, or a hand-made question from conftest), what the
recogniser heard, and the expected status and value. Values are what the keypad gives for the same answer.
"""

from __future__ import annotations

import pytest

from ivr.dialog.io import RawInput
from ivr.dialog.model import KeypadQuestion
from ivr.speech.understanding import SwedishAnswerInterpreter

M, N = "match", "nomatch"

UTTERANCES: list[tuple[str, str, str, str | None]] = [
    # scale 1..5 (bemotande): digits as words, colloquial names, ordinals, fillers
    ("bemotande", "ett", M, "1"),
    ("bemotande", "etta", M, "1"),
    ("bemotande", "ettan", M, "1"),
    ("bemotande", "en", M, "1"),
    ("bemotande", "två", M, "2"),
    ("bemotande", "tvåa", M, "2"),
    ("bemotande", "tvåan", M, "2"),
    ("bemotande", "tre", M, "3"),
    ("bemotande", "trea", M, "3"),
    ("bemotande", "trean", M, "3"),
    ("bemotande", "fyra", M, "4"),
    ("bemotande", "fyran", M, "4"),
    ("bemotande", "fem", M, "5"),
    ("bemotande", "femma", M, "5"),
    ("bemotande", "femman", M, "5"),
    ("bemotande", "första", M, "1"),
    ("bemotande", "fjärde", M, "4"),
    ("bemotande", "femte", M, "5"),
    ("bemotande", "4", M, "4"),
    ("bemotande", "eh jag säger fyra", M, "4"),
    ("bemotande", "fyra tror jag", M, "4"),
    ("bemotande", "öh det blir en fyra", M, "4"),
    ("bemotande", "jag ger en trea", M, "3"),
    ("bemotande", "svaret är fem", M, "5"),
    ("bemotande", "fyra av fem", M, "4"),
    ("bemotande", "fem fem", M, "5"),
    # scale: misrecognitions
    ("bemotande", "fira", M, "4"),
    ("bemotande", "fyrra", M, "4"),
    ("bemotande", "fämm", M, "5"),
    ("bemotande", "femm", M, "5"),
    ("bemotande", "fämma", M, "5"),
    ("bemotande", "tvoan", M, "2"),
    ("bemotande", "tree", M, "3"),
    ("bemotande", "try", N, None),
    # scale: the YAML words and the built-in phrases, negation, longest phrase wins
    ("bemotande", "mycket nöjd", M, "5"),
    ("bemotande", "jag är mycket nöjd", M, "5"),
    ("bemotande", "jättenöjd", M, "5"),
    ("bemotande", "jätte nöjd", M, "5"),
    ("bemotande", "mycketnöjd", M, "5"),
    ("bemotande", "myket nöjd", M, "5"),
    ("bemotande", "väldigt nöjd faktiskt", M, "5"),
    ("bemotande", "nöjd", M, "4"),
    ("bemotande", "ganska nöjd", M, "4"),
    ("bemotande", "varken eller", M, "3"),
    ("bemotande", "var ken eller", M, "3"),
    ("bemotande", "sådär", M, "3"),
    ("bemotande", "så där", M, "3"),
    ("bemotande", "mittemellan", M, "3"),
    ("bemotande", "missnöjd", M, "2"),
    ("bemotande", "misnöjd", M, "2"),
    ("bemotande", "inte nöjd", M, "2"),
    ("bemotande", "inte så nöjd", M, "2"),
    ("bemotande", "jag var inte särskilt nöjd", M, "2"),
    ("bemotande", "mycket missnöjd", M, "1"),
    ("bemotande", "inte alls nöjd", M, "1"),
    ("bemotande", "inte missnöjd", N, None),
    ("bemotande", "inte fyra", N, None),
    # scale: two answers, out of range, decimals, out of domain
    ("bemotande", "fyra eller fem", N, None),
    ("bemotande", "mellan tre och fyra", N, None),
    ("bemotande", "nöjd eller missnöjd", N, None),
    ("bemotande", "sex", N, None),
    ("bemotande", "fem eller sex", N, None),
    ("bemotande", "tre och en halv", N, None),
    ("bemotande", "fyra komma fem", N, None),
    ("bemotande", "4,5", N, None),
    ("bemotande", "hon var jättetrevlig", N, None),
    ("bemotande", "jag vill prata med en handläggare", N, None),
    ("bemotande", "vad sa du", N, None),
    ("bemotande", "jag", N, None),
    # other scales of the survey: their own words
    ("kunskap", "mycket bra", M, "5"),
    ("kunskap", "mycket god", M, "5"),
    ("kunskap", "jättebra", M, "5"),
    ("kunskap", "bra", M, "4"),
    ("kunskap", "god", M, "4"),
    ("kunskap", "ganska bra", M, "4"),
    ("kunskap", "inte så bra", M, "2"),
    ("kunskap", "dålig", M, "2"),
    ("kunskap", "dåligt", M, "2"),
    ("kunskap", "mycket dålig", M, "1"),
    ("kunskap", "inte alls bra", M, "1"),
    ("kunskap", "varken bra eller dålig", M, "3"),
    ("kunskap", "det var ett bra samtal", M, "4"),
    ("kunskap", "ett", M, "1"),
    ("tillganglighet", "lätt", M, "4"),
    ("tillganglighet", "mycket lätt", M, "5"),
    ("tillganglighet", "jättelätt", M, "5"),
    ("tillganglighet", "ganska svårt", M, "2"),
    ("tillganglighet", "mycket svårt", M, "1"),
    ("tillganglighet", "det var svårt", M, "2"),
    ("vantetid", "fyra", M, "4"),
    ("vantetid", "missnöjd", M, "2"),
    ("helhet", "jag är nöjd", M, "4"),
    ("helhet", "missnöj", M, "2"),
    # yes/no (losning): ja and its variants
    ("losning", "ja", M, "ja"),
    ("losning", "jaa", M, "ja"),
    ("losning", "jaaa", M, "ja"),
    ("losning", "japp", M, "ja"),
    ("losning", "jepp", M, "ja"),
    ("losning", "jo", M, "ja"),
    ("losning", "javisst", M, "ja"),
    ("losning", "ja visst", M, "ja"),
    ("losning", "absolut", M, "ja"),
    ("losning", "visst", M, "ja"),
    ("losning", "precis", M, "ja"),
    ("losning", "det stämmer", M, "ja"),
    ("losning", "det gjorde det", M, "ja"),
    ("losning", "jo det gjorde det", M, "ja"),
    ("losning", "ja det blev det", M, "ja"),
    ("losning", "ja tack", M, "ja"),
    ("losning", "eh ja", M, "ja"),
    # yes/no: nej and its variants
    ("losning", "nej", M, "nej"),
    ("losning", "nä", M, "nej"),
    ("losning", "nää", M, "nej"),
    ("losning", "ne", M, "nej"),
    ("losning", "nix", M, "nej"),
    ("losning", "nope", M, "nej"),
    ("losning", "nej tack", M, "nej"),
    ("losning", "inte riktigt", M, "nej"),
    ("losning", "inte alls", M, "nej"),
    ("losning", "absolut inte", M, "nej"),
    ("losning", "nej det blev det inte", M, "nej"),
    ("losning", "det blev det inte", M, "nej"),
    ("losning", "det gjorde det inte", M, "nej"),
    ("losning", "det stämmer inte", M, "nej"),
    ("losning", "nej tyvärr", M, "nej"),
    # yes/no: keys said as numbers, both at once, nothing relevant
    ("losning", "ett", M, "ja"),
    ("losning", "två", M, "nej"),
    ("losning", "ja nej", N, None),
    ("losning", "ja eller nej", N, None),
    ("losning", "jag vet inte", N, None),
    ("losning", "jag", N, None),
    ("losning", "fyra", N, None),
    ("losning", "kanske", N, None),
    # choice (brist): the options' YAML words, keys said as numbers
    ("brist", "väntetiden", M, "vantetid"),
    ("brist", "kön", M, "vantetid"),
    ("brist", "kön var för lång", M, "vantetid"),
    ("brist", "bemötandet", M, "bemotande"),
    ("brist", "bemötande", M, "bemotande"),
    ("brist", "jag fick inte hjälp", M, "ingen_hjalp"),
    ("brist", "ingen hjälp", M, "ingen_hjalp"),
    ("brist", "något annat", M, "annat"),
    ("brist", "nåt annat", M, "annat"),
    ("brist", "ett", M, "vantetid"),
    ("brist", "tvåan", M, "bemotande"),
    ("brist", "nummer två", M, "bemotande"),
    ("brist", "alternativ två", M, "bemotande"),
    ("brist", "alternativ tre", M, "ingen_hjalp"),
    ("brist", "trean", M, "ingen_hjalp"),
    ("brist", "fyra", M, "annat"),
    ("brist", "första", M, "vantetid"),
    ("brist", "fem", N, None),
    ("brist", "väntetiden och bemötandet", N, None),
    ("brist", "inte väntetiden", N, None),
    ("brist", "vet inte", N, None),
    # a hand-made choice: option words, split or merged
    ("kanal", "jag ringde", M, "telefon"),
    ("kanal", "e post", M, "epost"),
    ("kanal", "epost", M, "epost"),
    ("kanal", "mejl", M, "epost"),
    ("kanal", "på plats", M, "besok"),
    ("kanal", "nummer tre", M, "besok"),
    ("kanal", "fyran", N, None),
    # a number question 0..100
    ("antal", "noll", M, "0"),
    ("antal", "inga", M, "0"),
    ("antal", "en", M, "1"),
    ("antal", "tre", M, "3"),
    ("antal", "tolv", M, "12"),
    ("antal", "sjutton", M, "17"),
    ("antal", "tjugo", M, "20"),
    ("antal", "tjugotre", M, "23"),
    ("antal", "tjugo tre", M, "23"),
    ("antal", "tjugoen", M, "21"),
    ("antal", "trettiofem", M, "35"),
    ("antal", "fyrtio två", M, "42"),
    ("antal", "nittionio", M, "99"),
    ("antal", "hundra", M, "100"),
    ("antal", "ett hundra", M, "100"),
    ("antal", "etthundra", M, "100"),
    ("antal", "23", M, "23"),
    ("antal", "ungefär fem gånger", M, "5"),
    ("antal", "tjugo fira", M, "24"),
    ("antal", "tjugu tre", M, "23"),
    ("antal", "en gång", M, "1"),
    ("antal", "tjugotre gånger", M, "23"),
    ("antal", "två tre gånger", N, None),
    ("rekommendera", "nio av tio", M, "9"),
    ("rekommendera", "tian", M, "10"),
    ("rekommendera", "elva", N, None),
    ("rekommendera", "åtta eller nio", N, None),
    ("stort-tal", "två tusen tjugofyra", M, "2024"),
    ("stort-tal", "tvåtusentjugofyra", M, "2024"),
    ("stort-tal", "fyra tusen fem hundra", M, "4500"),
    ("stort-tal", "tiotusen", N, None),
    ("antal", "sju komma fem", N, None),
    ("antal", "7,5", N, None),
    ("antal", "hundraett", N, None),
    ("antal", "tusen", N, None),
    ("antal", "fyra eller fem", N, None),
    ("antal", "många", N, None),
    # what recognisers write besides words: Vosk's [unk], Whisper's capitals and punctuation
    ("bemotande", "[unk] fyra", M, "4"),
    ("bemotande", "Fyra.", M, "4"),
    ("losning", "Ja, det stämmer.", M, "ja"),
    ("losning", "[unk]", N, None),
    ("losning", "?!", N, None),
    ("losning", "mycket nöjd", N, None),
    # a scale 0..9 and a scale without words
    ("betyg", "noll", M, "0"),
    ("betyg", "nolla", M, "0"),
    ("betyg", "nio", M, "9"),
    ("betyg", "nian", M, "9"),
    ("betyg", "sjua", M, "7"),
    ("betyg", "åttan", M, "8"),
    ("betyg", "tio", N, None),
    ("betyg", "mycket nöjd", N, None),
    ("bara-siffror", "fyra", M, "4"),
    ("bara-siffror", "mycket nöjd", M, "5"),
    # a yes/no with its keys swapped and words of its own
    ("omvand", "ja", M, "ja"),
    ("omvand", "gärna", M, "ja"),
    ("omvand", "helst inte", M, "nej"),
    ("omvand", "två", M, "ja"),
    ("omvand", "ett", M, "nej"),
    # the operator's words win over the built-in ones
    ("egna-ord", "sådär", M, "2"),
    ("egna-ord", "bäst", M, "5"),
    ("egna-ord", "inte bra alls", M, "1"),
    ("egna-ord", "inte bra", M, "2"),
    ("egna-ord", "mittemellan", M, "3"),
]


@pytest.fixture(scope="module")
def interpreter() -> SwedishAnswerInterpreter:
    return SwedishAnswerInterpreter()


def test_the_table_is_large_enough() -> None:
    assert len(UTTERANCES) >= 120
    assert len({(question, said) for question, said, _, _ in UTTERANCES}) == len(UTTERANCES), "a row twice"


@pytest.mark.parametrize(("question_id", "said", "status", "value"), UTTERANCES)
def test_utterance(
    interpreter: SwedishAnswerInterpreter,
    questions: dict[str, KeypadQuestion],
    question_id: str,
    said: str,
    status: str,
    value: str | None,
) -> None:
    question = questions[question_id]
    answer_heard = RawInput("speech", said, 0.9)
    answer = interpreter.interpret(question, answer_heard)
    assert (answer.status, answer.value) == (status, value), interpreter.understand(question, answer_heard)
    assert answer.mode == "speech"
    assert answer.utterance == said
    if status == "match":
        keys = [str(digit) for digit in range(10)] + [answer.value or ""] * (answer.value or "").isdigit()
        keypad = [question.read_keys(pressed) for pressed in keys]
        assert any(
            reading is not None and (reading.value, reading.score) == (answer.value, answer.score)
            for reading in keypad
        ), "a spoken answer must read exactly as the same answer on the keypad"
        assert 0 < answer.confidence <= 0.9
    else:
        assert answer.score is None
