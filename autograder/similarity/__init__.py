"""`ps1 similarity`: pairs of students whose answers are alike, for a person to look at (never graded)."""
