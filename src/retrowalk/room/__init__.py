"""The coach's view of a room of treadmills over MQTT, for `retrowalk monitor`.

`model` is pure (one row per treadmill from its state, status and session messages); `watch`
is the MQTT client that feeds it. Not a sink: it reads the broker, never the engine's bus.
"""
