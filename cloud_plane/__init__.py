"""The cloud HIS: registration, consultation, billing, printing, and the box-facing MQTT side."""
