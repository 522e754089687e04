"""Customer satisfaction surveys: a 1-5 rating asked after a conversation is resolved, on every channel in the
customer's language, answered with a tap or a digit and an optional comment (see `service` and `answers`)."""
