"""For the instructor who edits PS1: the release notebook, the jupytext pair, the sample submissions."""
