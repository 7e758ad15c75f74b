"""Support cases, their cards' outbox, targets, resolution, vouchers and the customer's history."""
