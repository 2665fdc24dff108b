"""Passwords, roles and permissions, workspace secrets."""
