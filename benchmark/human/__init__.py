"""``bench human``: people solve captchas in a browser; answers land in SQLite; the report puts
their accuracy and speed beside the machine's."""
