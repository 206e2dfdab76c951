"""Bad input from the person at the keyboard: every command reports it in one line, exit status 2.

`InputError` is raised where the input is read (a time, a CSV row, a folder, an option) with a
message that says what was wrong, where, and what to do; `python -m autograder` (autograder/__main__.py)
prints it on stderr. It is a ValueError, so code that already expects ValueError keeps working.
"""


class InputError(ValueError):
    """Something the user gave cannot be used; the message is the one line the user sees."""
