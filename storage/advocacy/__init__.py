"""Advocacy asks, tracked links, testimonials and referral credits."""
