"""Flows: run, deploy, rollback and batch, written once against the backend protocols."""
