"""Mentorbot: the composition root, config, CLI, channel adapters and scheduler."""
