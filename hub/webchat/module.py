"""Web chat's record for the composition root: the widget, its WebSocket, and replies sent through Redis."""

from __future__ import annotations

from hub.runtime import Module
from hub.webchat import fanout
from hub.webchat.routes import router

MODULE = Module(
    name="webchat",
    routers=(router,),
    hooks=(fanout.install_publisher,),  # replies reach the visitor's WebSocket in whichever API process holds it
)
