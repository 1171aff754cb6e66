"""microcred authoring toolkit: course format, checks, rendering, grading and packages.

Pure Python: never imports Flask, SQLAlchemy or the `plugin` package.
"""
