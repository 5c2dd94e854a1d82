"""The one base class for mistakes a user can fix: CLIs print its message as one line."""


class UserError(ValueError):
    """Bad input: the message says what is wrong and, where it can, how to fix it."""
