"""Advocacy: review invitations, ambassador asks and their answers, referrals and testimonials."""
