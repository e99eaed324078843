"""The ways people reach the assistant: the console chat and Telegram. Thin by design."""
