"""Telegram bots through the Bot API."""

from channels.telegram.adapter import Telegram

__all__ = ["Telegram"]
