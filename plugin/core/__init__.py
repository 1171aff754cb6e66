"""Core pages that belong to no feature: the home page and health checks."""
