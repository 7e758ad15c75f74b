"""Managers' insights: figures, commands, the weekly digest and its chart."""
