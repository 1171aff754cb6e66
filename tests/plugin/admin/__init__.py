"""Tests of the admin area (plugin/admin)."""
