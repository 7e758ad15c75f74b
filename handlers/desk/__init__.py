"""The support desk: cases opened from flagged answers, their cards,
the staff's actions, response-time targets.
"""
