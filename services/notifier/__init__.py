"""notifier: turns reports and triggers into messages for people, each sent exactly once."""
