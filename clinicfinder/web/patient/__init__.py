"""The patient's side: the landing page and, later, the three questions and the results."""
