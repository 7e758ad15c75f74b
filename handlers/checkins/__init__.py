"""Check-ins: sending them, the conversation of one check-in,
scoring its answers.
"""
