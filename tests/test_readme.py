"""The README's Python example runs as written (with the bundled model)."""

import re
from pathlib import Path

from lungseg.model.pretrained import DEFAULT_MODEL, PRETRAINED

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs(capsys):
    assert DEFAULT_MODEL in PRETRAINED, "the README example needs the bundled default model"
    block = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "(256, 256) bool" in out and "missing.png: no such file" in out
