"""What the bot says about reviews, referrals, testimonials and the panel, in English and Dutch.

The review invitation is one text for everyone: nothing in it depends on a score.
"""

from __future__ import annotations

from handlers.texts import pick

TEXTS: dict[str, dict[str, str]] = {
    "review_invite": {
        "en": "Thanks again for your answers, {name}. If you have a minute, an honest review "
        "helps other shoppers a lot, whatever your experience was:\n\n{links}",
        "nl": "Nogmaals bedankt voor je antwoorden, {name}. Heb je even? Een eerlijke review "
        "helpt andere kopers enorm, hoe je ervaring ook was:\n\n{links}",
    },
    "review_link": {"en": "⭐ {platform}: {url}", "nl": "⭐ {platform}: {url}"},
    "ambassador_ask": {
        "en": "{name}, thank you for your kind words about your {product}! Would you like to do "
        "a little more? Pick whatever suits you.",
        "nl": "{name}, bedankt voor je mooie woorden over je {product}! Zou je nog iets meer "
        "willen doen? Kies wat bij je past.",
    },
    "ask_no_forever": {
        "en": "If not, just tap No thanks and I won't ask again.",
        "nl": "Liever niet? Tik dan op Nee, bedankt en ik vraag het niet opnieuw.",
    },
    "ask_no": {
        "en": "If not, just tap No thanks.",
        "nl": "Liever niet? Tik dan op Nee, bedankt.",
    },
    "offer_referral": {"en": "🔗 A link to share with friends", "nl": "🔗 Een link voor vrienden"},
    "offer_testimonial": {"en": "💬 Write a testimonial", "nl": "💬 Een testimonial schrijven"},
    "offer_panel": {"en": "🧪 Join the product panel", "nl": "🧪 Meedoen met het productpanel"},
    "offer_no": {"en": "No thanks", "nl": "Nee, bedankt"},
    "referral_link": {
        "en": "Here is your personal link to share: {link}\nFriends can also enter the code "
        "{code} when they order. I'll let you know when someone orders through you. Thank you!",
        "nl": "Hier is je persoonlijke link om te delen: {link}\nVrienden kunnen ook de code "
        "{code} invullen bij hun bestelling. Ik laat het je weten als iemand via jou bestelt. "
        "Dank je wel!",
    },
    "testimonial_prompt": {
        "en": "Lovely! Write a few sentences about your experience, in your own words. I'll ask "
        "before we quote anything.",
        "nl": "Leuk! Schrijf in een paar zinnen je ervaring op, in je eigen woorden. Ik vraag "
        "het eerst voordat we iets citeren.",
    },
    "testimonial_consent": {
        "en": "Thank you! May we quote these words, with your first name, on our website and "
        "in our newsletters?",
        "nl": "Dank je wel! Mogen we deze woorden, met je voornaam, citeren op onze website en "
        "in onze nieuwsbrieven?",
    },
    "quote_yes": {"en": "Yes, you may quote me", "nl": "Ja, citeer me gerust"},
    "quote_no": {"en": "No, keep it private", "nl": "Nee, houd het privé"},
    "testimonial_quotable": {
        "en": "Thank you, {name}! We'll quote your words with care. Changed your mind? /forget "
        "erases them.",
        "nl": "Dank je wel, {name}! We gaan zorgvuldig met je woorden om. Bedenk je je? /forget "
        "wist ze.",
    },
    "testimonial_private": {
        "en": "Understood: we won't publish your words. Thanks for sharing them with us.",
        "nl": "Begrepen: we publiceren je woorden niet. Bedankt dat je ze met ons deelde.",
    },
    "panel_joined": {
        "en": "Welcome to the product panel! We'll invite you when there is something new to "
        "try. Just tell us if you want to leave.",
        "nl": "Welkom in het productpanel! We nodigen je uit als er iets nieuws te proberen "
        "is. Laat het ons gewoon weten als je wilt stoppen.",
    },
    "panel_already": {
        "en": "You're already on the product panel list.",
        "nl": "Je staat al op de lijst van het productpanel.",
    },
    "declined_forever": {
        "en": "No problem at all, I won't ask again. Thanks for being our customer!",
        "nl": "Helemaal goed, ik vraag het niet opnieuw. Bedankt dat je klant bij ons bent!",
    },
    "declined": {
        "en": "No problem at all. Thanks for being our customer!",
        "nl": "Helemaal goed. Bedankt dat je klant bij ons bent!",
    },
    "noted": {"en": "Noted, thank you!", "nl": "Genoteerd, dank je wel!"},
    "referral_thanks": {
        "en": "Good news, {name}: someone just ordered through your recommendation. Thank you "
        "for spreading the word!",
        "nl": "Goed nieuws, {name}: iemand heeft net besteld op jouw aanraden. Bedankt dat je "
        "ons aanbeveelt!",
    },
}


def say(key: str, lang: str | None, **values: object) -> str:
    """The advocacy text ``key`` in ``lang`` (English when missing), placeholders filled in."""
    return pick(TEXTS, key, lang, **values)


def first_name(name: str | None, lang: str | None) -> str:
    """The customer's first name, or a friendly stand-in."""
    first = (name or "").strip().split(" ")[0]
    return first or ("vriend" if lang == "nl" else "friend")
