"""Twilio error codes in words an agent understands, and which of them are worth retrying."""

from __future__ import annotations

REASONS: dict[str, str] = {
    "20003": "Twilio account SID or auth token invalid",
    "20429": "Twilio is rate limiting this account",
    "21211": "the 'To' number is not a valid phone number",
    "21408": "sending to this country is not enabled on the Twilio account",
    "21606": "the 'From' number cannot send SMS to this destination",
    "21610": "the recipient unsubscribed (replied STOP)",
    "21612": "Twilio cannot route to this number from the 'From' number",
    "21614": "the 'To' number is not a mobile number",
    "30001": "Twilio's sending queue overflowed",
    "30002": "the Twilio account is suspended",
    "30003": "unreachable handset (switched off or out of coverage)",
    "30004": "the message was blocked by the carrier or the recipient",
    "30005": "unknown destination handset (the number does not exist)",
    "30006": "landline or unreachable carrier",
    "30007": "carrier filtered the message as spam",
    "30008": "unknown error from the carrier",
    "30034": "the sending number is not registered for US A2P 10DLC",
    "63003": "WhatsApp could not find the recipient",
    "63016": "outside the WhatsApp 24-hour window; only a template can be sent",
    "63018": "WhatsApp rate limit reached for this sender",
    "63024": "invalid WhatsApp recipient",
}

# Codes that describe a passing condition rather than a wrong message.
RETRYABLE_CODES: frozenset[str] = frozenset({"20429", "30001", "63018"})


def reason_for(code: str | None, fallback: str | None = None) -> str | None:
    """The plain-English reason of a Twilio error code, else `fallback`, else a generic sentence."""
    if not code:
        return fallback
    return REASONS.get(code) or fallback or f"Twilio error {code}"
