#!/usr/bin/env python
"""Generate README.md from nbs/index.ipynb (markdown cells as they are, code cells as python blocks).

nbdev 2's own nbdev_readme needs quarto, which is not installed here; this renders the same content
without it. `--check` exits with status 1 when README.md differs from what the notebook gives.
"""
import json, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent

def render(nb_path: Path) -> str:
    cells = json.loads(nb_path.read_text(encoding="utf-8"))["cells"]
    parts = []
    for c in cells:
        src = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        if c["cell_type"] == "markdown": parts.append(src.strip())
        elif c["cell_type"] == "code":
            lines = src.splitlines()
            if any(l.strip() in ("#| hide", "#|hide") for l in lines[:3]): continue
            code = "\n".join(l for l in lines if not l.startswith("#|")).strip()
            if code: parts.append(f"```python\n{code}\n```")
    return "\n\n".join(parts) + "\n\n<!-- generated from nbs/index.ipynb by tools/make_readme.py; edit the notebook, not this file -->\n"

def main(argv):
    text = render(root/"nbs"/"index.ipynb")
    readme = root/"README.md"
    if "--check" in argv:
        if not readme.exists() or readme.read_text(encoding="utf-8") != text:
            print("README.md is out of date with nbs/index.ipynb: run `make export` (or python tools/make_readme.py)")
            return 1
        return 0
    readme.write_text(text, encoding="utf-8")
    return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
