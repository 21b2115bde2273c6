"""intake: the 24/7 line where every sick and well report enters, and the employee directory."""
