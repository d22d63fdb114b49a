"""Hotline screening: per-enterprise policy, marks in memory, the decision service and its log."""
