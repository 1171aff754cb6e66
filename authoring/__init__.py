"""microcred authoring toolkit: the Markdown micro-course format, checks, rendering, grading, packages.

Pure Python: never imports Flask, SQLAlchemy or the `plugin` package.
"""
