"""Customers, their chat links, retention and the customers' outbox."""
