"""The web chat widget's server side: `/widget.js`, the visitor WebSocket, and reply delivery."""
