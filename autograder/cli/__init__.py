"""One thin module per command of `python -m autograder`: parse the arguments, call, print."""
