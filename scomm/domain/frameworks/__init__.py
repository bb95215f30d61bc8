"""ICE priority frameworks, one module each; ``scomm.domain.priority`` is the entry point."""
