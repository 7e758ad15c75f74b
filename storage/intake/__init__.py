"""Purchases: batch reads and writes for purchase intake."""
