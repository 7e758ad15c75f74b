"""The repositories' ports, one per capability: what handlers read and write through.

Each port lists only what handlers call; storage's repositories (``storage/repositories.py``)
implement them, and ``tests/storage/test_repository_ports.py`` keeps the two in step.
"""
