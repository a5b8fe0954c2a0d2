"""Consumers of engine events: recorder, voice cues, speech, MQTT."""
