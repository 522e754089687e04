"""Broadcast campaigns: an audience snapshot of recipient rows, personalised messages sent in
throttled batches exactly once per recipient, and their delivered / read / replied / clicked /
converted tracking."""
