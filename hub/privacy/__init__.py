"""Privacy: card numbers masked in message text, a contact's export and erasure, retention of raw data."""
