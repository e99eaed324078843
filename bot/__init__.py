"""Bình Lư assistant: a Telegram bot for xã Bình Lư (Lai Châu) answering from a curated knowledge base."""

__version__ = "0.1.0"
