"""Aggregates for managers' insights: live figures, the daily rollup, exports, words."""
