"""The engine's throttle: a token bucket in Redis, one per channel, shared by every worker and every
sender (replies, broadcasts, flows) that sends on it.

One Lua script refills the bucket at `rate` tokens a second up to `burst`, takes `n` tokens and
answers how long the caller must wait before sending them. Tokens may go into debt: the caller
that takes them owns the next free slots and sleeps until they come, so workers queue up fairly
instead of spinning. The clock is Redis's own (`TIME`), so workers on different machines agree.
"""

from __future__ import annotations

import time

import redis

from hub.runtime import broker

PUBLISHED_RATES: dict[str, float] = {
    "whatsapp_meta": 80.0,  # Cloud API default tier, per phone number (1,000 after an upgrade)
    "whatsapp_twilio": 10.0,  # Twilio WhatsApp text, per sender, by default (up to 50)
    "sms_twilio": 1.0,  # a US long code: about one segment a second
    "telegram": 30.0,  # a bot's broadcasts overall
    "webchat": 200.0,  # Hub's own WebSocket: no provider limit, only a sanity bound
}
FALLBACK_RATE = 1.0
MAX_WAIT_SECONDS = 60.0

# KEYS[1] bucket; ARGV rate/s, burst, n. Returns the wait in milliseconds (a string: Lua numbers are
# truncated to integers on the way back).
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
if now > at then
  tokens = math.min(burst, tokens + (now - at) * rate)
  at = now
end
tokens = tokens - n
local wait = 0
if tokens < 0 then
  wait = -tokens / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('PEXPIRE', KEYS[1], math.ceil((wait + burst / rate) * 1000) + 1000)
return tostring(wait * 1000)
"""


def rate_for(channel_kind: str, own: float | None = None) -> float:
    """Messages a second: the sender's own throttle (a campaign's), else the provider's published rate."""
    if own and own > 0:
        return float(own)
    return PUBLISHED_RATES.get(channel_kind, FALLBACK_RATE)


def burst_for(rate: float) -> int:
    """At most one second's worth of messages at once (at least one)."""
    return max(1, int(rate))


def bucket_key(channel_id: int) -> str:
    return broker.key("throttle", "channel", channel_id)


def take(channel_id: int, n: int, rate: float, connection: redis.Redis | None = None) -> float:
    """Take `n` tokens from the channel's bucket; the seconds to wait before using them."""
    if n <= 0:
        return 0.0
    conn = connection or broker.connection()
    answer = conn.eval(_TAKE, 1, bucket_key(channel_id), repr(float(rate)), str(burst_for(rate)), str(n))
    text = answer.decode() if isinstance(answer, bytes) else str(answer)
    return min(MAX_WAIT_SECONDS, float(text) / 1000.0)


def wait_for_tokens(channel_id: int, n: int, rate: float) -> float:
    """Take `n` tokens and sleep until they are usable (blocking); the seconds slept."""
    seconds = take(channel_id, n, rate)
    if seconds > 0:
        time.sleep(seconds)
    return seconds
