"""The curated knowledge base: schema, loading and checking YAML, the SQLite store."""
