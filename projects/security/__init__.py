"""The security project: its program (`__main__.py`), stack files and knobs (`config.py`)."""
