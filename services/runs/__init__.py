"""Runs: SQL executed in MCE through recycled assets (issue 14)."""
