"""The MQTT sink: a consumer of the engine's bus that publishes a run and takes remote commands.

`sink.run_mqtt` is the sink; `settings.MqttSettings` what it needs. Importing this package does
not import aiomqtt (only `sink` does, through `retrowalk.broker.client`), so settings can be
checked before anything connects. Topics and payloads: docs/mqtt.md.
"""
