"""The student side: check PS1.ipynb, run it, print it to PDF and zip it for submission."""
