"""What the bot says while a chat is linked to an order, or moved to another account."""

from __future__ import annotations

from handlers.texts import pick

OPTIN_TEXTS: dict[str, dict[str, str]] = {
    # After linking when no check-in is scheduled (all of them done or expired already).
    "greeting_later": {
        "en": "Hi {name}! Thanks for your order of {product}. I'm the shop's feedback "
        "assistant: I'll check in after your next purchase to hear how it went. You can always "
        "write to me too.\n\n/stop ends the check-ins, /help shows what else I can do.",
        "nl": "Hoi {name}! Bedankt voor je bestelling van {product}. Ik ben de "
        "feedback-assistent van de winkel: na je volgende aankoop vraag ik hoe het ging. Je "
        "kunt me ook altijd schrijven.\n\n/stop zet de vragen uit, /help laat zien wat ik "
        "nog meer kan.",
    },
    # To a chat that proved an order that is connected to another account. Says nothing
    # about whose order it is.
    "linked_elsewhere": {
        "en": "This order is already connected to another Telegram account, so I can't connect "
        "it here. If that's you on a new phone or account: open the link from your order "
        "confirmation in this chat, or confirm the move in the chat that is connected now "
        "(I've asked there). Otherwise please contact the shop.",
        "nl": "Deze bestelling is al verbonden met een ander Telegram-account, dus hier kan ik "
        "hem niet verbinden. Ben jij het, op een nieuwe telefoon of een ander account? Open "
        "dan de link uit je orderbevestiging in deze chat, of bevestig de verhuizing in de "
        "chat die nu verbonden is (daar heb ik het gevraagd). Anders: neem contact op met de "
        "winkel.",
    },
    # A used deep link opened in a chat other than the linked one.
    "used_token_elsewhere": {
        "en": "That link has already been used to connect another Telegram account. If that's "
        "you on a new phone or account, confirm the move in the chat that is connected now "
        "(I've asked there). Otherwise please contact the shop.",
        "nl": "Die link is al gebruikt om een ander Telegram-account te verbinden. Ben jij het, "
        "op een nieuwe telefoon of een ander account? Bevestig de verhuizing dan in de chat "
        "die nu verbonden is (daar heb ik het gevraagd). Anders: neem contact op met de "
        "winkel.",
    },
    # To the chat that is linked now.
    "move_requested": {
        "en": "Someone tried to connect your order to another Telegram account. If that was "
        "you, tap “Move to the new account”. If not, tap “That wasn't me”: nothing changes, "
        "and your check-ins stay in this chat.",
        "nl": "Iemand probeerde je bestelling te verbinden met een ander Telegram-account. Was "
        "jij dat, tik dan op “Verhuis naar het nieuwe account”. Zo niet, tik op “Dat was ik "
        "niet”: er verandert niets en je vragen blijven in deze chat.",
    },
    "move_yes": {"en": "Move to the new account", "nl": "Verhuis naar het nieuwe account"},
    "move_no": {"en": "That wasn't me", "nl": "Dat was ik niet"},
    "move_kept": {
        "en": "Okay, nothing changed: your order stays connected to this chat.",
        "nl": "Oké, er is niets veranderd: je bestelling blijft verbonden met deze chat.",
    },
    "move_done": {
        "en": "Done: your check-ins now go to your new account. This chat is no longer connected.",
        "nl": "Klaar: je vragen gaan nu naar je nieuwe account. Deze chat is niet meer verbonden.",
    },
    "move_expired": {
        "en": "That request has expired or was already handled; nothing changed.",
        "nl": "Dat verzoek is verlopen of al afgehandeld; er is niets veranderd.",
    },
    # To the chat a customer was moved away from with the deep link's token.
    "moved_away": {
        "en": "Your order has been connected to another Telegram account with the link from "
        "your order confirmation, so this chat is no longer connected. If that wasn't you, "
        "please contact the shop.",
        "nl": "Je bestelling is met de link uit je orderbevestiging verbonden met een ander "
        "Telegram-account, dus deze chat is niet meer verbonden. Was jij dat niet, neem dan "
        "contact op met de winkel.",
    },
    "order_locked": {
        "en": "Too many tries for this order. Please wait {minutes} minutes, or use the link "
        "from your order confirmation.",
        "nl": "Te veel pogingen voor deze bestelling. Wacht {minutes} minuten, of gebruik de "
        "link uit je orderbevestiging.",
    },
}


def say_optin(key: str, lang: str | None, **values: object) -> str:
    """An opt-in text in ``lang`` (English when missing), with placeholders filled in."""
    return pick(OPTIN_TEXTS, key, lang, **values)
