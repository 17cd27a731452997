"""The Pulumi projects, one folder each: its program, its stack files, its knobs (`config.py`)."""
