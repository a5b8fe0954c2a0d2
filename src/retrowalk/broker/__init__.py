"""The connection to an MQTT broker, shared by the MQTT sink and the room watcher.

`url` parses `mqtt[s]://[user@]host[:port]` without ever echoing it, `credentials` finds the
password (a file, the environment, the config file or the URL), `incoming` holds the policies
for what the client received, and `client` is the one module that imports aiomqtt. Nothing here
knows the engine.
"""
