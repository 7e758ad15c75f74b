"""The signing helper agrees with slack_sdk's verifier; bodies have Slack's shapes."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

from sandbox.local_servers.slack_signing import (
    FORM,
    JSON,
    block_actions,
    event_callback,
    message_event,
    sign,
    signature_headers,
    slash_command,
    stale_timestamp,
    view_submission,
)

SECRET = "s3cret"


def test_signature_is_accepted_by_slack_sdk_verifier() -> None:
    body = slash_command(command="/mentorbot", text="nps").body
    headers = signature_headers(SECRET, body, FORM)
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid_request(body, headers)
    assert not SignatureVerifier("other").is_valid_request(body, headers)
    assert not verifier.is_valid_request(body + "x", headers)


def test_known_vector_and_stale_timestamp() -> None:
    # Slack's documented example: secret, timestamp, body -> signature
    secret = "8f742231b10e8888abcd99yyyzzz85a5"
    body = (
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
        "G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook"
        "-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397"
        "700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d"
        "10d2c447fce8b6703c"
    )
    expected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    assert sign(secret, body, 1531420618) == expected
    stale = signature_headers(SECRET, "{}", JSON, stale_timestamp(600))
    assert not SignatureVerifier(SECRET).is_valid_request("{}", stale)
    assert int(stale["X-Slack-Request-Timestamp"]) < time.time() - 300


def test_interactive_bodies_are_a_payload_form_field() -> None:
    press = block_actions(action_id="claim", value="7", channel_id="C9", message_ts="1.000001")
    assert press.content_type == FORM
    payload = json.loads(parse_qs(press.body)["payload"][0])
    assert payload["type"] == "block_actions"
    assert payload["actions"][0]["action_id"] == "claim"
    assert payload["actions"][0]["value"] == "7"
    assert payload["message"]["ts"] == "1.000001"
    assert payload["channel"]["id"] == "C9"
    assert payload["trigger_id"] and payload["response_url"]
    assert set(payload["user"]) >= {"id", "username", "name"}

    modal = view_submission(callback_id="resolve", values={"note": {"text": "fixed"}}).json()
    assert modal["view"]["state"]["values"]["note"]["text"]["value"] == "fixed"


def test_event_callback_envelope() -> None:
    body = event_callback(message_event(channel="C1", text="hi", thread_ts="1.000001"))
    assert body.content_type == JSON
    envelope = json.loads(body.body)
    assert envelope["type"] == "event_callback"
    assert envelope["event"]["thread_ts"] == "1.000001"
    assert envelope["event_id"].startswith("Ev")
