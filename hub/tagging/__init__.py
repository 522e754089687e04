"""Smart tagging: admins' rules (keywords, patterns, channel, hours, contact attributes) and a classifier
trained on the tags agents apply, both run by a job on every inbound message."""
