"""WhatsApp through Meta's Cloud API."""

from channels.meta.adapter import MetaWhatsApp

__all__ = ["MetaWhatsApp"]
