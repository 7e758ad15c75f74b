"""The WhatsApp templates the demo and the tests register on the local Cloud API server: the
texts a shop submits to Meta for approval (README: "Customers on WhatsApp"), per language."""

from __future__ import annotations

from sandbox.local_servers.whatsapp_api import LocalWhatsAppApi

TEMPLATES = {
    "delivery": "mentorbot_delivery",
    "usage": "mentorbot_usage",
    "recovery": "mentorbot_recovery",
    "case_update": "mentorbot_case_update",
    "advocacy": "mentorbot_advocacy",
}
"""``whatsapp.templates``: one per touchpoint, and the two that ask a customer back."""
CHECK_IN = {
    "en": ("Hi {{1}}, we'd like to hear how it went with your {{2}}. Two quick questions?",
           ("Answer", "Stop")),
    "nl": ("Hoi {{1}}, we horen graag hoe het ging met je {{2}}. Twee korte vragen?",
           ("Antwoorden", "Stoppen")),
}  # fmt: skip
CASE_UPDATE = {
    "en": ("Hi {{1}}, we have news about your question on your {{2}}.", ("Show me",)),
    "nl": ("Hoi {{1}}, we hebben nieuws over je vraag over je {{2}}.", ("Toon",)),
}
ADVOCACY = {
    "en": ("Hi {{1}}, glad your {{2}} is doing well! May we ask you one more thing?",
           ("Sure",)),
    "nl": ("Hoi {{1}}, fijn dat je blij bent met je {{2}}! Mogen we je nog iets vragen?",
           ("Graag",)),
}  # fmt: skip
TEXTS = {"case_update": CASE_UPDATE, "advocacy": ADVOCACY}


def register_templates(server: LocalWhatsAppApi) -> int:
    """Approve every template in English and Dutch on the local server; how many."""
    count = 0
    for key, name in TEMPLATES.items():
        for lang, (body, quick) in TEXTS.get(key, CHECK_IN).items():
            server.add_template(name, lang, body, quick)
            count += 1
    return count
