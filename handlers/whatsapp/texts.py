"""What the bot says on WhatsApp where Telegram's words (slash commands, deep links) differ."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "help": {
        "en": (
            "I check in after your purchase with a few short questions; answer with a tap or a"
            " few words.\n\nType STOP to get no more questions, MY DATA for what we keep about"
            " you, FORGET ME to erase it, HELP for this message."
        ),
        "nl": (
            "Na je aankoop stel ik een paar korte vragen; antwoorden kan met één tik of een"
            " paar woorden.\n\nTyp STOPPEN om geen vragen meer te krijgen, MIJN GEGEVENS voor"
            " wat we van je bewaren, VERGEET MIJ om het te wissen, HULP voor dit bericht."
        ),
    },
    "not_linked": {
        "en": (
            "I don't know this number yet. Use the WhatsApp link in your order confirmation"
            " to connect your order."
        ),
        "nl": (
            "Ik ken dit nummer nog niet. Gebruik de WhatsApp-link in je orderbevestiging om"
            " je bestelling te koppelen."
        ),
    },
    "other_number": {
        "en": (
            "This code belongs to an order with another phone number, so I can't connect it"
            " here. Please use the phone number you gave with your order."
        ),
        "nl": (
            "Deze code hoort bij een bestelling met een ander telefoonnummer, dus ik kan hem"
            " hier niet koppelen. Gebruik het nummer dat je bij je bestelling gaf."
        ),
    },
    "number_taken": {
        "en": "This order is already connected to another WhatsApp number.",
        "nl": "Deze bestelling is al gekoppeld aan een ander WhatsApp-nummer.",
    },
    "stopped": {
        "en": "Done: no more questions from me. Send your order code again to restart.",
        "nl": (
            "Klaar: je krijgt geen vragen meer van mij. Stuur je bestelcode opnieuw om weer"
            " te beginnen."
        ),
    },
}


def say_wa(key: str, lang: str, **values: object) -> str:
    """A WhatsApp text in ``lang`` (English when there is none in it)."""
    texts = TEXTS[key]
    return (texts.get(lang) or texts["en"]).format(**values)
