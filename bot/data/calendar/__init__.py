"""The Government's decisions on the working calendar of public servants (data)."""
