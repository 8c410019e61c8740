"""Run the test cells of notebooks outside Jupyter, as `nbdev_test --flags ...` does, for machines without nbdev.

Each notebook runs in its own namespace, cell by cell: cells flagged with a flag that is not asked for (`#| slow`, `#| cuda`),
`#| eval: false` cells, the export-only `#| hide` cell and shell or magic lines are skipped. Exit status 1 when a cell fails.
Usage: python tools/device/run_cells.py [--flags cuda,slow] NOTEBOOK ...
"""
import argparse, json, re, sys, time, traceback
from pathlib import Path

KNOWN_FLAGS = ("slow", "cuda")

def cell_runs(src: str, flags: set) -> bool:
    directives = [l.strip()[3:].strip() for l in src.splitlines() if l.strip().startswith("#|")]
    if any(d.replace(" ", "") in ("eval:false",) for d in directives): return False
    if any(d in KNOWN_FLAGS and d not in flags for d in directives): return False
    return "nbdev_export()" not in src

def run_notebook(path: Path, flags: set) -> bool:
    ns = {"__name__": "__main__"}
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    t0 = time.time()
    for i, c in enumerate(cells):
        src = "".join(c["source"])
        if not cell_runs(src, flags): continue
        code = "\n".join(l for l in src.splitlines() if not re.match(r"\s*[%!]", l))
        try:
            exec(compile(code, f"{path.name}[cell {i}]", "exec"), ns)
        except Exception:
            print(f"FAILED {path} cell {i}:\n{src}\n", file=sys.stderr); traceback.print_exc()
            return False
        for l in src.splitlines():
            if l.strip().startswith("#|") and l.strip()[3:].strip() in flags: print(f"  ran {path.name} cell {i} (#| {l.strip()[3:].strip()})", flush=True)
    print(f"ok {path} in {time.time() - t0:.1f} s", flush=True)
    return True

if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--flags", default="", help="comma-separated flags to run, e.g. cuda,slow")
    p.add_argument("notebooks", nargs="+")
    a = p.parse_args()
    results = [run_notebook(Path(n), {f for f in a.flags.split(",") if f}) for n in a.notebooks]
    sys.exit(0 if all(results) else 1)
