"""The web application the instances run (`app.py`, standard library only) and its user data."""
