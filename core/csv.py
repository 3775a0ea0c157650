"""CSV output that spreadsheets open safely, and streams without holding the file."""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST_CHARACTERS = frozenset(FORMULA_PREFIXES)  # each prefix is one character


def csv_safe(value) -> str:
    """Spreadsheets run cells that start with =, +, -, @, tab or CR as formulas: defuse them."""
    text = value if type(value) is str else "" if value is None else str(value)
    return "'" + text if text[:1] in _FORMULA_FIRST_CHARACTERS else text


class Echo:
    """A file-like object for csv.writer that hands each line back (for streamed CSVs)."""

    def write(self, value):
        return value
