"""Live MQTT: the bridge sink, payload formats, the outbox and the broker choice."""
