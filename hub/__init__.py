"""Hub: the core of the conversational commerce messaging hub."""
