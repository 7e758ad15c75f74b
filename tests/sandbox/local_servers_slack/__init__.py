"""Tests of the local Slack Web API server and the signed-request helper."""
