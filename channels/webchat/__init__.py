"""The web chat widget served by Hub itself."""

from channels.webchat.adapter import WebChat
from channels.webchat.frames import TEXT_LIMIT, stored_frame
from channels.webchat.render import RenderError, card

__all__ = ["TEXT_LIMIT", "RenderError", "WebChat", "card", "stored_frame"]
