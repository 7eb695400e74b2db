"""The built-in Swedish phrases: ja and nej with their variants, a 1..5 scale in words, and filler words.

The operator's YAML words come first; these fill in what the YAML does not say. A longer phrase beats the
shorter one inside it, so negations are phrases of their own ("inte nöjd", "det blev det inte").
"""

from __future__ import annotations

YES_PHRASES = (
    "ja", "jaa", "japp", "jepp", "jupp", "jo", "joo", "jodå", "jadå", "javisst", "ja visst", "visst",
    "absolut", "ja absolut", "precis", "ja precis", "exakt", "korrekt", "stämmer", "det stämmer",
    "ja det stämmer", "självklart", "definitivt", "ja tack", "jajamän", "jajamensan", "yes",
    "ja det blev det", "det blev det", "det gjorde det", "ja det gjorde det", "jo det gjorde det",
    "ja det var det", "det var det", "ja det är det", "det är det", "ja det blev löst", "det blev löst",
    "ja verkligen", "verkligen",
)  # fmt: skip
NO_PHRASES = (
    "nej", "nä", "näe", "nää", "nej tack", "nix", "nope", "icke", "nejdå", "nej då", "nej tyvärr",
    "tyvärr inte", "tyvärr", "inte riktigt", "inte alls", "absolut inte", "verkligen inte", "inte direkt",
    "inte precis",
    "inte egentligen", "det stämmer inte", "stämmer inte", "nej det blev det inte", "det blev det inte",
    "det gjorde det inte", "nej det gjorde det inte", "nej det var det inte",
    "det var det inte", "det är det inte", "det blev inte löst", "inte löst", "nej det blev inte löst",
    "inte än", "inte ännu",
)  # fmt: skip

SCALE_RANGE = (1, 5)
SCALE_PHRASES: dict[int, tuple[str, ...]] = {
    5: (
        "mycket nöjd", "väldigt nöjd", "jättenöjd", "supernöjd", "helt nöjd", "mycket bra", "väldigt bra",
        "jättebra", "superbra", "toppen", "utmärkt", "perfekt", "mycket god", "väldigt god", "mycket lätt",
        "väldigt lätt", "jättelätt", "hur lätt som helst",
    ),
    4: ("nöjd", "ganska nöjd", "rätt nöjd", "bra", "ganska bra", "rätt bra", "god", "ganska god", "lätt",
        "ganska lätt", "rätt lätt"),
    3: (
        "varken eller", "varken bra eller dålig", "varken bra eller dåligt", "varken nöjd eller missnöjd",
        "varken lätt eller svårt", "sådär", "så där", "mittemellan", "mitt emellan", "medel", "helt okej",
        "okej", "neutral", "mellanbra",
    ),
    2: (
        "missnöjd", "ganska missnöjd", "inte nöjd", "inte så nöjd", "inte särskilt nöjd", "inte riktigt nöjd",
        "dålig", "dåligt", "ganska dålig", "ganska dåligt", "inte bra", "inte så bra", "inte särskilt bra",
        "svårt", "ganska svårt", "inte lätt", "inte så lätt", "inte särskilt lätt",
    ),
    1: (
        "mycket missnöjd", "väldigt missnöjd", "jättemissnöjd", "inte alls nöjd", "inte nöjd alls",
        "mycket dålig", "mycket dåligt", "väldigt dålig", "väldigt dåligt", "jättedåligt", "inte alls bra",
        "uselt", "usel", "katastrof", "katastrofalt", "mycket svårt", "väldigt svårt", "jättesvårt",
        "inte alls lätt", "omöjligt",
    ),
}  # fmt: skip

NUMBER_PHRASES: dict[int, tuple[str, ...]] = {
    0: ("inga", "ingen", "inget", "inga alls", "ingen alls", "inte någon", "inte några", "inte en enda",
        "ingen gång", "inte någon gång", "aldrig"),
}  # fmt: skip

WEAK_WORDS = frozenset({"en", "ett"})  # also the articles: "det blir en fyra" names one number, not two

NEGATIONS = frozenset({"inte", "ej", "icke", "aldrig"})
NEGATION_REACH = 2  # a negation this many words before a phrase turns it around: "inte så värst nöjd"

# Words that carry no answer: hesitations, "jag säger", "tror jag", "svaret är", "nummer", "alternativ".
FILLER_WORDS = frozenset(
    (
        "alltså", "alternativ", "alternativet", "asså", "att", "av", "ba", "bara", "blev", "blir", "den",
        "det", "detta", "du", "då", "eeh", "eh", "ehm", "eller", "en", "ett", "faktiskt", "ger", "gång",
        "gånger", "hm", "hmm", "ja", "jag", "jo", "ju", "kanske", "knapp", "knappen", "liksom", "man",
        "mhm", "min", "mitt", "mm", "nog", "nu", "nummer", "numret", "och", "okej", "om", "runt", "sa",
        "siffra", "siffran", "skulle", "stycken", "svar", "svaret", "säga", "säger", "så", "tack", "tar",
        "tror", "tryck", "trycker", "tycker", "typ", "tänker", "uh", "um", "ungefär", "val", "valet",
        "var", "vara", "vi", "vilja", "väl", "välj", "väljer", "äh", "ähm", "är", "öh", "öhm",
    )
)  # fmt: skip
