"""What the local WhatsApp server accepts on ``POST /{version}/{phone_number_id}/messages``.

Shapes and limits, with where they were read: Meta's "Interactive reply buttons messages"
(developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-reply-
buttons-messages: 1-3 buttons of type ``reply``) and Meta's WhatsApp Node.js SDK reference
(whatsapp.github.io/WhatsApp-Nodejs-SDK, "Reply Buttons Object", "Interactive Object": button
ids up to 256, titles up to 20 characters and unique in the message, bodies up to 1024, footers
up to 60); for lists, whatsapp-api-js's reference (button label up to 20, at most 10 sections,
section titles up to 24 and required with more than one section) and Meta's interactive
messages guide ("a menu of up to 10 options": 10 rows in all), row titles 24, descriptions 72
and row ids 200 as the WhatsApp SDKs (botonic's constants) encode them; text bodies up to 4096
characters and the template shape (``template.name``, ``template.language.code``,
``components`` of type ``body`` with ``text`` parameters and ``button``/``quick_reply`` with an
``index`` and a ``payload`` parameter) from Meta's messages reference as remembered.

Where the docs are silent this server takes the stricter reading, and says so:
- missing or mistyped fields are code 100 (Invalid parameter); values past a limit are 131009
  (Parameter value is not valid); message types other than text, interactive button/list and
  template are 131051 here (the real API has media and more; the bot sends none of them);
- a row id, button id or title must be unique within its message (Meta says so for button
  titles; this server asks it of ids too, since a reply is matched by id);
- a quick-reply payload is limited to 256 characters, like a button id (no limit documented);
- a template's body parameters must match its ``{{n}}`` placeholders exactly (132000), and a
  header component on a template without header variables is a mismatch too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sandbox.local_servers.whatsapp_api_errors import GraphError

__all__ = ["Outgoing", "Template", "check_message", "normalize_recipient"]

_PHONE = re.compile(r"\+?([1-9][0-9]{6,14})")


@dataclass
class Template:
    """A message template registered with Meta: name, language, body with {{n}}, quick replies."""

    name: str
    language: str
    body: str
    quick_replies: tuple[str, ...] = ()
    status: str = "APPROVED"  # APPROVED | PENDING | REJECTED | PAUSED

    def __post_init__(self) -> None:
        found = {int(n) for n in re.findall(r"\{\{(\d+)\}\}", self.body)}
        if found != set(range(1, len(found) + 1)):  # Meta refuses such a template for review
            raise ValueError(f"template {self.name}: placeholders must be {{{{1}}}}..{{{{n}}}}")

    @property
    def param_count(self) -> int:
        """How many ``{{n}}`` placeholders the body has."""
        return len(set(re.findall(r"\{\{(\d+)\}\}", self.body)))


@dataclass
class Outgoing:
    """A validated outgoing message: its kind, what the customer would read, reply options."""

    kind: str  # text | interactive_button | interactive_list | template
    text: str
    options: list[dict[str, str]] = field(default_factory=list)  # id/payload and title per tap
    template: str | None = None  # "name/language" for templates


def normalize_recipient(to: Any) -> str:
    """The wa_id (digits) for a ``to`` field; 100 when it is no phone number."""
    if not isinstance(to, str) or not (match := _PHONE.fullmatch(to.replace(" ", ""))):
        raise GraphError(100, f"'to' must be a phone number in international format, got {to!r}")
    return match.group(1)


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise GraphError(100, f"{where} must be an object")
    return value


def _text(value: Any, where: str, limit: int, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value:
        raise GraphError(100, f"{where} is required and must be a non-empty string")
    if len(value) > limit:
        raise GraphError(131009, f"{where} is {len(value)} characters; the limit is {limit}")
    return value


def _unique(values: list[str], where: str) -> None:
    if len(set(values)) != len(values):
        raise GraphError(131009, f"{where} must be unique within the message")


def check_message(body: dict[str, Any], templates: dict[tuple[str, str], Template]) -> Outgoing:
    """Validate a messages payload (after ``messaging_product`` and ``to``); GraphError if not."""
    if body.get("recipient_type", "individual") != "individual":
        raise GraphError(100, "recipient_type must be 'individual'")
    if "context" in body:  # a reply quoting an earlier message
        quoted = _obj(body["context"], "context").get("message_id")
        if not isinstance(quoted, str) or not quoted.startswith("wamid."):
            raise GraphError(100, "context.message_id must be the wamid of a message")
    kind = body.get("type", "text")
    if kind == "text":
        text = _obj(body.get("text"), "text")
        if not isinstance(text.get("preview_url", False), bool):
            raise GraphError(100, "text.preview_url must be a boolean")
        return Outgoing("text", _text(text.get("body"), "text.body", 4096))
    if kind == "interactive":
        return _interactive(_obj(body.get("interactive"), "interactive"))
    if kind == "template":
        return _template(_obj(body.get("template"), "template"), templates)
    raise GraphError(131051, f"message type {kind!r} is not supported by this server")


def _interactive(interactive: dict[str, Any]) -> Outgoing:
    itype = interactive.get("type")
    text = _text(_obj(interactive.get("body"), "interactive.body").get("text"), "body.text", 1024)
    for part in ("header", "footer"):
        if part in interactive:
            _text(_obj(interactive[part], part).get("text"), f"{part}.text", 60)
    action = _obj(interactive.get("action"), "interactive.action")
    if itype == "button":
        buttons = action.get("buttons")
        if not isinstance(buttons, list) or not buttons:
            raise GraphError(100, "action.buttons must be a non-empty array")
        if len(buttons) > 3:
            raise GraphError(131009, f"{len(buttons)} buttons; at most 3 reply buttons")
        options = []
        for button in buttons:
            if _obj(button, "button").get("type") != "reply":
                raise GraphError(100, "button.type must be 'reply'")
            reply = _obj(button.get("reply"), "button.reply")
            bid = _text(reply.get("id"), "button.reply.id", 256)
            options.append({"id": bid, "title": _text(reply.get("title"), "reply.title", 20)})
        _unique([o["id"] for o in options], "button ids")
        _unique([o["title"] for o in options], "button titles")
        return Outgoing("interactive_button", text, options)
    if itype == "list":
        _text(action.get("button"), "action.button", 20)
        sections = action.get("sections")
        if not isinstance(sections, list) or not sections:
            raise GraphError(100, "action.sections must be a non-empty array")
        if len(sections) > 10:
            raise GraphError(131009, f"{len(sections)} sections; at most 10")
        options = []
        for section in sections:
            _obj(section, "section")
            _text(section.get("title"), "section.title", 24, required=len(sections) > 1)
            rows = section.get("rows")
            if not isinstance(rows, list) or not rows:
                raise GraphError(100, "section.rows must be a non-empty array")
            for row in rows:
                _obj(row, "row")
                rid = _text(row.get("id"), "row.id", 200)
                _text(row.get("description"), "row.description", 72, required=False)
                options.append({"id": rid, "title": _text(row.get("title"), "row.title", 24)})
        if len(options) > 10:
            raise GraphError(131009, f"{len(options)} rows in all sections; at most 10")
        _unique([o["id"] for o in options], "row ids")
        return Outgoing("interactive_list", text, options)
    raise GraphError(131051, f"interactive type {itype!r} is not supported by this server")


def _template(template: dict[str, Any], known: dict[tuple[str, str], Template]) -> Outgoing:
    name = _text(template.get("name"), "template.name", 512)
    code = _text(_obj(template.get("language"), "template.language").get("code"), "code", 15)
    found = known.get((name, code))
    if found is None or found.status != "APPROVED":
        state = "does not exist" if found is None else f"is {found.status}, not approved"
        raise GraphError(132001, f"template name ({name}) {state} in {code}")
    params: list[str] = []
    options = [{"id": title, "title": title} for title in found.quick_replies]
    components = template.get("components", [])
    if not isinstance(components, list):
        raise GraphError(100, "template.components must be an array")
    for component in components:
        ctype = _obj(component, "component").get("type")
        parameters = component.get("parameters", [])
        if not isinstance(parameters, list):
            raise GraphError(100, "component.parameters must be an array")
        if ctype == "body":
            for parameter in parameters:
                if _obj(parameter, "parameter").get("type") != "text":
                    raise GraphError(100, "body parameters here must be of type 'text'")
                params.append(_text(parameter.get("text"), "parameter.text", 1024))
        elif ctype == "button":
            _quick_reply(component, parameters, options)
        elif ctype == "header":
            raise GraphError(132000, f"template {name} has no header variables")
        else:
            raise GraphError(100, f"component type {ctype!r} is not valid")
    if len(params) != found.param_count:
        raise GraphError(
            132000,
            f"template {name} expects {found.param_count} body parameters, got {len(params)}",
        )
    text = re.sub(r"\{\{(\d+)\}\}", lambda m: params[int(m.group(1)) - 1], found.body)
    return Outgoing("template", text, options, template=f"{name}/{code}")


def _quick_reply(
    component: dict[str, Any], parameters: list[Any], options: list[dict[str, str]]
) -> None:
    if component.get("sub_type") != "quick_reply":
        raise GraphError(100, "button components here must have sub_type 'quick_reply'")
    index = component.get("index")
    if not str(index).isdigit() or int(index) >= len(options):
        raise GraphError(131009, f"button index {index!r} is not a quick reply of this template")
    if len(parameters) != 1 or _obj(parameters[0], "parameter").get("type") != "payload":
        raise GraphError(100, "a quick_reply button takes one parameter of type 'payload'")
    payload = _text(parameters[0].get("payload"), "parameter.payload", 256)
    options[int(index)] = {"id": payload, "title": options[int(index)]["title"]}
