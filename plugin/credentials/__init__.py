"""Open Badges 3.0 / CLR 2.0 credentials: signing, verifying and revoking, without a database."""
