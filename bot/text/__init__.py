"""Text normalisation for Vietnamese and English: folding, tokens, syllables, Telex.

This layer knows nothing of the knowledge base or of any channel.
"""
