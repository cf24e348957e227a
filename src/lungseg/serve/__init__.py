"""``lungseg serve``: a small local web page to try lungseg on one X-ray (FastAPI; ``pip install 'lungseg[serve]'``)."""
