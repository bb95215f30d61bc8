"""HTML templates for the pages (served by scomm.api.pages)."""
