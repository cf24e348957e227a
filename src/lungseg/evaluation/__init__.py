"""Metrics (one confusion-count core), evaluation by group, threshold calibration."""
