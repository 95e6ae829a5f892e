"""The clinic box daemon: card readers, printers, durable outbox and the MQTT link to the cloud."""
