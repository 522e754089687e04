"""The sandbox's Twilio Messages API, driven by the real adapters through the twilio SDK."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from channels.sandbox import RunningSandbox, SandboxState, serve_sandbox
from channels.twilio import TwilioSMS, TwilioWhatsApp
from channels.types import ChannelConfig, IdentityRef, OutboundMessage, VerifyError

SMS = TwilioSMS()
WHATSAPP = TwilioWhatsApp()
CUSTOMER = IdentityRef("phone", "+85291234567")
SID = "AC" + "a1" * 16
TOKEN = "real-looking-auth-token"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with serve_sandbox(SandboxState(receipt_delay=0.01, seed=5)) as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(sandbox: RunningSandbox) -> None:
    sandbox.state.reset()
    sandbox.inbox.clear()
    sandbox.state.receipts = "off"


def sms_channel(sandbox: RunningSandbox, channel_id: int = 21) -> ChannelConfig:
    return ChannelConfig(allow_private_urls=True, id=channel_id, kind="sms_twilio",
                         config={"from_number": "+14155552345"}, public_url=sandbox.url)


def whatsapp_channel(sandbox: RunningSandbox, channel_id: int = 22, **credentials: str) -> ChannelConfig:
    config = {"from_number": "whatsapp:+14155238886", **credentials}
    if credentials:
        config["api_base"] = sandbox.api_base("twilio")
    return ChannelConfig(allow_private_urls=True, id=channel_id, kind="whatsapp_twilio", config=config,
                         public_url=sandbox.url)


async def test_sms_is_accepted_with_a_message_sid_and_recorded_as_the_form(sandbox: RunningSandbox) -> None:
    channel = sms_channel(sandbox)

    result = await SMS.send(channel, OutboundMessage(to=CUSTOMER, text="您好 👋 order #12"))

    assert result.ok and re.fullmatch(r"SM[0-9a-f]{32}", result.provider_message_id or "")
    [record] = sandbox.state.messages(channel.id)
    assert record.provider_message_id == result.provider_message_id
    assert record.customer == "+85291234567" and record.text == "您好 👋 order #12"
    assert sorted(record.wire) == sorted([
        ("To", "+85291234567"), ("From", "+14155552345"), ("Body", "您好 👋 order #12"),
        ("StatusCallback", f"{sandbox.url}/webhooks/twilio/{channel.id}/status"),
    ])


def test_the_answer_is_twilios_message_resource(sandbox: RunningSandbox, fixture: Any) -> None:
    url = f"{sandbox.api_base('twilio')}/2010-04-01/Accounts/ACsandbox21/Messages.json"
    form = {"To": "whatsapp:+85291234567", "From": "whatsapp:+14155238886", "Body": "您好"}

    answer = httpx.post(url, data=form, auth=("ACsandbox21", "sandbox:21"))

    assert answer.status_code == 201
    resource = answer.json()
    assert set(resource) == set(fixture("twilio", "message_create_response.json"))
    assert resource["status"] == "queued" and resource["direction"] == "outbound-api"
    assert resource["account_sid"] == "ACsandbox21" and resource["to"] == "whatsapp:+85291234567"
    assert resource["uri"] == f"/2010-04-01/Accounts/ACsandbox21/Messages/{resource['sid']}.json"


async def test_a_wrong_auth_token_gets_20003(sandbox: RunningSandbox) -> None:
    sandbox.state.add_channel(whatsapp_channel(sandbox, account_sid=SID, auth_token=TOKEN))
    wrong = whatsapp_channel(sandbox, account_sid=SID, auth_token="not-it")

    result = await WHATSAPP.send(wrong, OutboundMessage(to=CUSTOMER, text="hi"))

    assert not result.ok and result.permanent and result.error_code == "20003"
    url = f"{sandbox.api_base('twilio')}/2010-04-01/Accounts/ACsandbox21/Messages.json"
    answer = httpx.post(url, data={"To": "+85291234567"}, auth=("ACsandbox21", "sandbox:22"))
    assert answer.status_code == 401 and answer.json()["code"] == 20003
    assert answer.headers["www-authenticate"] == 'Basic realm="Twilio API"'


async def test_registered_credentials_are_accepted(sandbox: RunningSandbox) -> None:
    channel = whatsapp_channel(sandbox, account_sid=SID, auth_token=TOKEN)
    sandbox.state.add_channel(channel)

    result = await WHATSAPP.send(channel, OutboundMessage(to=CUSTOMER, text="hi"))

    assert result.ok
    assert sandbox.state.messages(channel.id)[0].extra["account_sid"] == SID


async def test_an_invalid_to_is_21211(sandbox: RunningSandbox, fixture: Any) -> None:
    channel = sms_channel(sandbox)

    result = await SMS.send(channel, OutboundMessage(to=IdentityRef("phone", "+8529123"), text="hi"))

    assert not result.ok and result.permanent and result.error_code == "21211"
    assert result.error_reason == "the 'To' number is not a valid phone number"
    assert sandbox.state.messages(channel.id) == []


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"From": "+14155552345", "Body": "x"}, 21604),
        ({"To": "+85291234567", "Body": "x"}, 21603),
        ({"To": "+85291234567", "From": "+14155552345"}, 21602),
        ({"To": "+85291234567", "From": "whatsapp:+14155238886", "Body": "x"}, 21910),
        ({"To": "+85291234567", "From": "+14155552345", "Body": "x", "MediaUrl": "ftp://a/b"}, 21620),
    ],
)
def test_forms_twilio_would_refuse_are_refused(sandbox: RunningSandbox, form: dict[str, str], code: int) -> None:
    url = f"{sandbox.api_base('twilio')}/2010-04-01/Accounts/ACsandbox21/Messages.json"

    answer = httpx.post(url, data=form, auth=("ACsandbox21", "sandbox:21"))

    assert answer.status_code == 400
    assert answer.json()["code"] == code and answer.json()["more_info"].endswith(str(code))


async def test_whatsapp_status_callbacks_are_signed_and_verify(sandbox: RunningSandbox) -> None:
    sandbox.state.receipts = "normal"
    channel = whatsapp_channel(sandbox)

    result = await WHATSAPP.send(channel, OutboundMessage(to=CUSTOMER, text="您好"))
    received = await sandbox.inbox.wait_for(3, provider="twilio", channel_id=channel.id, endpoint="status")

    statuses = []
    for webhook in received:
        WHATSAPP.verify(channel, webhook.request, "status")
        statuses += WHATSAPP.parse(channel, webhook.request.body, "status").statuses
    assert [status.status for status in statuses] == ["sent", "delivered", "read"]
    assert {status.provider_message_id for status in statuses} == {result.provider_message_id}


async def test_sms_callbacks_stop_at_delivered_and_use_the_channels_auth_token(sandbox: RunningSandbox) -> None:
    sandbox.state.receipts = "normal"
    channel = ChannelConfig(allow_private_urls=True, id=23, kind="sms_twilio", public_url=sandbox.url, config={
        "account_sid": SID, "auth_token": TOKEN, "from_number": "+14155552345", "api_base": sandbox.api_base("twilio"),
    })
    sandbox.state.add_channel(channel)

    await SMS.send(channel, OutboundMessage(to=CUSTOMER, text="hi"))
    await sandbox.inbox.wait_for(2, channel_id=channel.id)
    await asyncio.sleep(0.1)  # a third (read) receipt would have come by now
    received = sandbox.inbox.received(channel_id=channel.id)

    for webhook in received:
        SMS.verify(channel, webhook.request, "status")
        with pytest.raises(VerifyError):
            SMS.verify(sms_channel(sandbox, channel.id), webhook.request, "status")
    assert [SMS.parse(channel, item.request.body, "status").statuses[0].status for item in received] == [
        "sent", "delivered"]


async def test_an_injected_429_is_retryable_with_retry_after(sandbox: RunningSandbox) -> None:
    channel = sms_channel(sandbox)
    sandbox.state.fail_next(channel.id, status=429, retry_after=2)

    failed = await SMS.send(channel, OutboundMessage(to=CUSTOMER, text="hi"))
    retried = await SMS.send(channel, OutboundMessage(to=CUSTOMER, text="hi"))

    assert not failed.ok and not failed.permanent
    assert failed.error_code == "20429" and failed.retry_after == 2.0
    assert retried.ok


async def test_an_injected_permanent_error_is_21211(sandbox: RunningSandbox) -> None:
    channel = sms_channel(sandbox)
    sandbox.state.fail_next(channel.id, permanent=True)

    result = await SMS.send(channel, OutboundMessage(to=CUSTOMER, text="hi"))

    assert not result.ok and result.permanent and result.error_code == "21211"
