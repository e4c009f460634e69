"""Data shipped with dondoc (national agency names)."""
