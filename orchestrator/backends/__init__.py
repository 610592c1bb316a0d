"""Backends: the protocols every backend implements, and the local and AWS implementations."""
