"""Auto-assignment: policies per team or channel, agent capacity and skills, presence, hand-offs."""
