"""Bring your own data: mapped file and HTTP sources onto the canonical raw tables (docs/sources.md)."""
