from r1data.filters.selection import Select

__all__ = ["Select"]
