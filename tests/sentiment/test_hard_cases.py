"""Named hard cases from issue 4: each asserts behaviour that a naive tool gets wrong."""

import pytest

from sentiment import analyze


def label(text, lang=None):
    return analyze(text, lang=lang).label


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("wasn't terrible", "positive"),
        ("Not bad at all", "positive"),
        ("niet onaardig", "positive"),
        ("Niet slecht hoor", "positive"),
        ("Not good.", "negative"),
        ("never again", "negative"),
        ("Nooit meer.", "negative"),
        ("goed was het niet", "negative"),
        ("I'm not happy with how this was handled", "negative"),
        ("No problems at all", "positive"),
        ("Geen klachten", "positive"),
    ],
)
def test_negation_and_its_scope(text, expected):
    assert label(text) == expected


def test_intensifiers_and_diminishers_change_strength():
    assert analyze("really chuffed").polarity > analyze("chuffed").polarity > 0
    assert analyze("ontzettend slordig").polarity < analyze("slordig", lang="nl").polarity < 0
    slightly, plain = analyze("slightly late"), analyze("late")
    assert plain.polarity < slightly.polarity < 0


@pytest.mark.parametrize(
    "text",
    [
        "wonderful, the third wrong size in a row",
        "lekker dan, weer de verkeerde maat",
        "Great, another delay. Just great.",
        "Fijn, weer kapot",
    ],
)
def test_sarcasm_in_praise_words_is_negative(text):
    a = analyze(text)
    assert a.label == "negative"
    assert a.escalate


def test_praise_followed_by_praise_is_not_sarcasm():
    assert analyze("Great, thanks! Arrived on time").label == "positive"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("could you tell me when the replacement part will be sent?", "en"),
        ("wanneer komt het onderdeel?", "nl"),
        ("Is er al nieuws over mijn bestelling?", "nl"),
    ],
)
def test_polite_complaints_without_negative_words(text, lang):
    a = analyze(text)
    assert a.lang == lang
    assert a.label == "negative"
    assert "follow_up" in a.intents
    assert a.escalate


def test_mixed_reply_praise_and_anger_escalates():
    a = analyze("The product is great but the delivery was a nightmare")
    assert a.label == "negative"
    assert {"delivery", "product_quality"} <= set(a.themes)
    assert a.escalate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("wat een afknapper", "negative"),
        ("waardeloze zooi", "negative"),
        ("heel plezant", "positive"),
        ("geweldug", "positive"),
        ("Ik ben er heel content mee", "positive"),
        ("Wreed goed product", "positive"),
        ("Ambetant dat ge zo lang moet wachten", "negative"),
    ],
)
def test_dutch_flemish_slang_and_typos(text, expected):
    a = analyze(text)
    assert a.lang == "nl"
    assert a.label == expected


def test_typo_reason_names_the_corrected_word():
    assert any("geweldig" in r for r in analyze("geweldug").reasons)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("👍", "positive"),
        ("😡", "negative"),
        ("😍😍😍", "positive"),
        (":(", "negative"),
        ("❤️", "positive"),
        ("Perfect", "positive"),
        ("Rubbish", "negative"),
        ("Ok", "neutral"),
        ("Waardeloos", "negative"),
        ("Prima", "positive"),
    ],
)
def test_emoji_only_and_one_word(text, expected):
    assert label(text) == expected


@pytest.mark.parametrize("text", ["take me off this list", "uitschrijven graag", "unsubscribe"])
def test_opt_out_is_an_intent_not_sentiment(text):
    a = analyze(text)
    assert "opt_out" in a.intents
    assert a.label == "neutral"
    assert not a.escalate


def test_opt_out_with_a_real_problem_still_escalates():
    a = analyze("Stop messaging me, I already told you the oven is broken")
    assert "opt_out" in a.intents and "damage" in a.intents
    assert a.escalate


def test_nine_with_a_complaint_escalates():
    a = analyze("Love the brand but this time the item came broken and I want a refund", score=9)
    assert a.segment == "promoter"
    assert a.escalate and a.priority == "high"
    assert any("contradiction" in r for r in a.reasons)


def test_four_with_fine_only_the_price_does_not_escalate():
    texts = ("All fine, only the price is a bit high", "Alles prima, alleen de prijs is wat hoog")
    for text in texts:
        a = analyze(text, score=4)
        assert a.segment == "detractor"
        assert a.label != "negative"
        assert not a.escalate and a.priority is None
        assert "price" in a.themes


@pytest.mark.parametrize(
    ("text", "intent", "priority"),
    [
        ("The charger started smoking last night", "safety", "urgent"),
        ("Ik ruik gas sinds het fornuis is aangesloten", "safety", "urgent"),
        ("I'll take this to small claims court", "legal", "urgent"),
        ("Ik schakel een advocaat in", "legal", "urgent"),
        ("I want my money back", "refund", "high"),
        ("Ik wil mijn geld terug", "refund", "high"),
        ("Please cancel my order", "cancel", "high"),
        ("De wasmachine lekt", "damage", "high"),
        ("My parcel never arrived", "missing_order", "high"),
        ("Waar blijft mijn pakket?", "missing_order", "high"),
        ("I'll be leaving a one star review on Trustpilot", "public_review", "high"),
    ],
)
def test_urgent_intents(text, intent, priority):
    a = analyze(text)
    assert intent in a.intents
    assert a.escalate and a.priority == priority


def test_negated_damage_is_not_damage():
    a = analyze("Arrived without damage, no scratches, nothing broken")
    assert "damage" not in a.intents
    assert not a.escalate


def test_positive_review_mention_is_not_a_threat():
    a = analyze("Lovely service, I'll write a great review!")
    assert a.label == "positive" and not a.escalate


def test_capitals_and_exclamations_amplify():
    assert analyze("THANK YOU SO MUCH!!!").polarity > analyze("thank you so much").polarity


def test_reasons_quote_the_deciding_cue():
    a = analyze("Het pakket is nog steeds niet binnen", score=3)
    assert any("nog steeds niet" in r for r in a.reasons)
    assert any("NPS 3" in r for r in a.reasons)
