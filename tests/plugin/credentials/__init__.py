"""Tests for plugin.credentials (a package so its module names never clash with other areas)."""
