"""SMS and WhatsApp through Twilio."""

from channels.twilio.adapter import TwilioSMS, TwilioWhatsApp

__all__ = ["TwilioSMS", "TwilioWhatsApp"]
