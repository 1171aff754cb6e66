"""Interchange with formats instructors already have: GIFT, Aiken, QTI 3.0, Common Cartridge."""
