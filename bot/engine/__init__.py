"""The answer engine: matching questions to entries, confidence, composing answers.

It knows nothing of Telegram or of any other channel.
"""
