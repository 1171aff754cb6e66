"""Python-Markdown extensions for the course format, one per module."""
