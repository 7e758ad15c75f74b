"""What the bot says to customers, in English and Dutch. ``{placeholders}`` are filled in."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "greeting": {
        "en": "Hi {name}! Thanks for your order of {product}. I'm the shop's feedback assistant: "
        "I'll check in with you a few times to hear how it's going, {when}. Answer with "
        "one tap; you can always write to me too.\n\n/stop ends the check-ins, /help shows "
        "what else I can do.",
        "nl": "Hoi {name}! Bedankt voor je bestelling van {product}. Ik ben de feedback-assistent "
        "van de winkel: ik vraag je een paar keer hoe het gaat, {when}. Antwoorden kan met "
        "één tik; je kunt me ook altijd schrijven.\n\n/stop zet de vragen uit, /help laat "
        "zien wat ik nog meer kan.",
    },
    "when_next": {"en": "the first time around {date}", "nl": "de eerste keer rond {date}"},
    "unknown_token": {
        "en": "I don't recognise that link. Please use the link from your order confirmation, "
        "or send /start and I'll look up your order number.",
        "nl": "Die link ken ik niet. Gebruik de link uit je orderbevestiging, of stuur /start "
        "en ik zoek je bestelling op met je ordernummer.",
    },
    "used_token": {
        "en": "That link has already been used. If that was you, you're all set. Otherwise send "
        "/start and I'll look up your order number.",
        "nl": "Die link is al gebruikt. Was jij dat, dan is alles in orde. Anders: stuur /start "
        "en ik zoek je bestelling op met je ordernummer.",
    },
    "expired_token": {
        "en": "That link has expired. Send /start and I'll look up your order number instead.",
        "nl": "Die link is verlopen. Stuur /start, dan zoek ik je bestelling op met je "
        "ordernummer.",
    },
    "already_linked": {
        "en": "You're already connected, {name}. /help shows what I can do.",
        "nl": "Je bent al verbonden, {name}. /help laat zien wat ik kan.",
    },
    "chat_taken": {
        "en": "This chat is already connected to another order of ours, so I can't connect this "
        "one as well. Please contact the shop if something is wrong.",
        "nl": "Deze chat is al verbonden met een andere bestelling, dus deze kan ik er niet bij "
        "verbinden. Neem contact op met de winkel als er iets niet klopt.",
    },
    "ask_order": {
        "en": "Welcome! To connect your order, please send me your order number.",
        "nl": "Welkom! Stuur me je ordernummer om je bestelling te verbinden.",
    },
    "ask_proof": {
        "en": "Thanks. And the postcode or e-mail address on that order?",
        "nl": "Dank je. En de postcode of het e-mailadres van die bestelling?",
    },
    "link_failed": {
        "en": "Sorry, I couldn't find an order with those details. Please send the order number "
        "again.",
        "nl": "Sorry, ik kon geen bestelling met die gegevens vinden. Stuur je ordernummer nog "
        "eens.",
    },
    "locked_out": {
        "en": "Too many tries. Please wait {minutes} minutes and send /start again.",
        "nl": "Te veel pogingen. Wacht {minutes} minuten en stuur dan opnieuw /start.",
    },
    "welcome_back": {
        "en": "Welcome back, {name}! Check-ins are on again. /stop turns them off.",
        "nl": "Welkom terug, {name}! De vragen staan weer aan. /stop zet ze uit.",
    },
    "help": {
        "en": "I check in after your purchase to hear how it went.\n"
        "/stop - no more check-ins\n/language - English or Nederlands\n"
        "/mydata - everything we store about you\n/forget - erase your personal data\n"
        "You can also just write to me; a person from the shop reads it.",
        "nl": "Ik vraag na je aankoop hoe het ging.\n"
        "/stop - geen vragen meer\n/language - English of Nederlands\n"
        "/mydata - alles wat we over je bewaren\n/forget - je persoonsgegevens wissen\n"
        "Je kunt me ook gewoon schrijven; iemand van de winkel leest het.",
    },
    "not_linked": {
        "en": "This chat isn't connected to an order yet. Use the link from your order "
        "confirmation, or send /start.",
        "nl": "Deze chat is nog niet verbonden met een bestelling. Gebruik de link uit je "
        "orderbevestiging, of stuur /start.",
    },
    "stopped": {
        "en": "Done: you won't get any more check-ins. Send /start if you change your mind.",
        "nl": "Klaar: je krijgt geen vragen meer. Stuur /start als je van gedachten verandert.",
    },
    "choose_language": {"en": "Which language do you prefer?", "nl": "Welke taal heb je liever?"},
    "language_set": {
        "en": "I'll write to you in English from now on.",
        "nl": "Ik schrijf je vanaf nu in het Nederlands.",
    },
    "mydata_caption": {
        "en": "Everything we store about you.",
        "nl": "Alles wat we over je bewaren.",
    },
    "forget_confirm": {
        "en": "This erases your name, contact details and what you wrote to us. Your scores stay, "
        "without your name, in our statistics. Are you sure?",
        "nl": "Hiermee wissen we je naam, contactgegevens en wat je ons schreef. Je cijfers "
        "blijven zonder naam in onze statistieken. Weet je het zeker?",
    },
    "forget_yes": {"en": "Yes, erase my data", "nl": "Ja, wis mijn gegevens"},
    "forget_no": {"en": "No, keep it", "nl": "Nee, bewaren"},
    "forgotten": {
        "en": "Done: your personal data has been erased. Goodbye!",
        "nl": "Klaar: je persoonsgegevens zijn gewist. Tot ziens!",
    },
    "forget_cancelled": {"en": "Okay, nothing was erased.", "nl": "Oké, er is niets gewist."},
    "stale_button": {"en": "That button is no longer active.", "nl": "Die knop werkt niet meer."},
    "thanks_done": {
        "en": "Thank you, that's all! Your answers help us a lot.",
        "nl": "Dank je wel, dat was het! Je antwoorden helpen ons echt.",
    },
    "unsolicited": {
        "en": "Thanks for your message, we've passed it on.",
        "nl": "Bedankt voor je bericht, we hebben het doorgegeven.",
    },
    "use_buttons": {
        "en": "Thanks, noted. Please tap a button or type a number from {low} to {high}.",
        "nl": "Dank je, genoteerd. Tik op een knop of typ een getal van {low} tot {high}.",
    },
    "use_yes_no": {
        "en": "Thanks, noted. Please tap Yes or No.",
        "nl": "Dank je, genoteerd. Tik op Ja of Nee.",
    },
    "reminder": {
        "en": "A gentle reminder, in case you missed my question:",
        "nl": "Een vriendelijke herinnering, voor het geval je mijn vraag gemist hebt:",
    },
    "try_later": {
        "en": "Sorry, I can't handle that right now. Please try again in a few minutes.",
        "nl": "Sorry, dat lukt me nu even niet. Probeer het over een paar minuten opnieuw.",
    },
    "yes": {"en": "Yes", "nl": "Ja"},
    "no": {"en": "No", "nl": "Nee"},
    "chosen": {"en": "Your answer: {value}", "nl": "Je antwoord: {value}"},
    "too_long": {
        "en": "That message was very long; I kept the first {limit} characters.",
        "nl": "Dat bericht was erg lang; ik heb de eerste {limit} tekens bewaard.",
    },
    "attachment_unread": {
        "en": "Thanks! I can only read written words, not photos, voice messages or files. "
        "Could you tell me in a message?",
        "nl": "Bedankt! Ik kan alleen geschreven woorden lezen, geen foto's, spraakberichten of "
        "bestanden. Kun je het in een bericht vertellen?",
    },
    "empty": {
        "en": "I didn't catch that. You can type your answer or tap a button.",
        "nl": "Dat kwam niet goed door. Typ je antwoord of tik op een knop.",
    },
    "staff_reply": {
        "en": "{text}\n\n— {name}, customer support",
        "nl": "{text}\n\n— {name}, klantenservice",
    },
    "case_relayed": {
        "en": "Thanks, I've passed that on to {who}.",
        "nl": "Bedankt, ik heb het doorgegeven aan {who}.",
    },
    "support_team": {"en": "our support team", "nl": "ons supportteam"},
}


def pick(table: dict[str, dict[str, str]], key: str, lang: str | None, **values: object) -> str:
    """Text ``key`` of ``table`` in ``lang`` (English when missing), placeholders filled in."""
    texts = table[key]
    return texts.get(lang or "en", texts["en"]).format(**values)


def say(key: str, lang: str | None, **values: object) -> str:
    """The text ``key`` in ``lang`` (English when missing), with placeholders filled in."""
    return pick(TEXTS, key, lang, **values)


COMMANDS: dict[str, list[tuple[str, str]]] = {
    "en": [
        ("help", "What I can do"),
        ("stop", "No more check-ins"),
        ("language", "English or Nederlands"),
        ("mydata", "What we store about you"),
        ("forget", "Erase your personal data"),
    ],
    "nl": [
        ("help", "Wat ik kan"),
        ("stop", "Geen vragen meer"),
        ("language", "English of Nederlands"),
        ("mydata", "Wat we over je bewaren"),
        ("forget", "Je persoonsgegevens wissen"),
    ],
}
