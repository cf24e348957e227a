"""``report.html``: one self-contained page per segment or evaluate run, to find the bad masks fast."""
