"""`ps1 written`: a local page for grading the written answers one question at a time, with the rubric."""
