"""Offline checks of the integration's metadata, in the spirit of hassfest and the HACS action."""
