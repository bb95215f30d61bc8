"""Statistics from the hub's own records: monthly tables, oversight figures, comparisons."""
