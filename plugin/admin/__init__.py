"""The admin area: local admin accounts, platform registrations, deployments, keys, LMS setup pages.

Admin pages are first-party (opened in their own tab, never inside an LMS iframe), so they use
Flask's session cookie for sign-in. Views live in `views.py` (blueprint "admin" at /admin).
"""
