"""Pasar Desa shared kernel: config, db, messaging, event contracts, web helpers, auth, CLI.

Kept small on purpose: anything domain-specific belongs in a service."""
