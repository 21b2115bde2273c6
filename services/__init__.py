"""The services of halsosupport. Each owns its data and talks to the others only over Kafka."""
