"""Uploads benchmark: what validating and storing a form's images costs one worker.

    .venv/bin/python bench/uploads_bench.py [--source PATH] [--only NAME ...] [--rounds N]
                                            [--set UPLOAD_MAX_STORED_PIXELS=25000000 ...]

Samples are generated in memory (then written to a temporary folder so that every
measurement can run in a fresh subprocess): the attack of issue 16 (five valid
6300×6300 PNGs of ~165 KB each), five phone photos (4032×3024 JPEG), five 12 MP PNG
screenshots, two 5000×5000 PNGs (just under the per-file cap) and two 8000×6000 JPEGs.

Each scenario runs in its own Python process, which does what the intake route does:
``validate_many(files)`` and, when nothing is refused, ``store(f)`` for every file.  It
prints the wall time of that, the growth of the process's peak resident memory
(``VmHWM`` of /proc/self/status after minus before, falling back to ``ru_maxrss``,
which Linux carries over from the parent process; Pillow's pixel buffers are C
allocations that tracemalloc does not see) and the outcome.

``--source PATH`` measures another copy of ``app/core/uploads.py`` instead (for the
figures before a change: ``git show <rev>:app/core/uploads.py > /tmp/uploads_old.py``).
The figures depend on the machine and its load; run with nothing else busy.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import random
import resource
import subprocess  # nosec B404 - runs this same script as a child
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# --- samples -------------------------------------------------------------------------


def _drawing(size: tuple[int, int], seed: int):
    """An RGB picture with lines and boxes: it compresses well as a PNG (the attack's
    files were 165 KB for 6300×6300) but is not one flat colour."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)  # nosec B311 - sample pictures, not security
    img = Image.new("RGB", size, (245, 245, 240))
    draw = ImageDraw.Draw(img)
    width, height = size
    for _ in range(60):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1, y1 = rng.randrange(width), rng.randrange(height)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        if rng.random() < 0.5:
            draw.line((x0, y0, x1, y1), fill=colour, width=rng.randrange(1, 30))
        else:
            draw.rectangle((min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)), outline=colour, width=12)
    return img


def _photo(size: tuple[int, int], seed: int):
    """Something like a photo: smooth gradients plus noise (JPEG-sized like a phone's)."""
    from PIL import Image

    small = Image.effect_noise((size[0] // 16, size[1] // 16), 60).convert("RGB")
    base = small.resize(size, Image.Resampling.BILINEAR)
    grain = Image.effect_noise(size, 12).convert("RGB")
    return Image.blend(base, grain, 0.25)


def _encode(img, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    img.save(out, format=fmt, **options)
    return out.getvalue()


SCENARIOS = {
    # name: (description, [(kind, size, format)...])
    "attack-png-6300": ("5 × PNG 6300×6300 (the attack)", [("drawing", (6300, 6300), "PNG")] * 5),
    "phone-jpeg-12mp": ("5 × JPEG 4032×3024 (phone photos)", [("photo", (4032, 3024), "JPEG")] * 5),
    "screens-png-12mp": ("5 × PNG 4000×3000 (screenshots, scans)", [("drawing", (4000, 3000), "PNG")] * 5),
    "big-png-25mp": ("2 × PNG 5000×5000 (at the per-file cap)", [("drawing", (5000, 5000), "PNG")] * 2),
    "big-jpeg-48mp": ("2 × JPEG 8000×6000 (48 MP camera mode)", [("photo", (8000, 6000), "JPEG")] * 2),
    "worst-png-80mp": ("3 × PNG 5000×5000 + 2500×2000 (80 MP: the most accepted)",
                       [("drawing", (5000, 5000), "PNG")] * 3 + [("drawing", (2500, 2000), "PNG")]),
}


def make_samples(folder: Path, names: list[str]) -> None:
    made: dict[tuple, bytes] = {}
    for name in names:
        _, items = SCENARIOS[name]
        for index, (kind, size, fmt) in enumerate(items):
            key = (kind, size, fmt)
            if key not in made:
                img = (_drawing if kind == "drawing" else _photo)(size, seed=len(made))
                made[key] = _encode(img, fmt, **({"quality": 85 if size[0] < 5000 else 50} if fmt == "JPEG" else {}))
                del img
            ext = "png" if fmt == "PNG" else "jpg"
            (folder / f"{name}-{index}.{ext}").write_bytes(made[key])


# --- one measurement (child process) -------------------------------------------------


def _load_uploads(source: str | None):
    if not source:
        from app.core import uploads

        return uploads
    import app.core  # noqa: F401  (the package the module's relative imports need)

    spec = importlib.util.spec_from_file_location("app.core._uploads_bench_copy", source)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def peak_rss_kb() -> int:
    """The process's peak resident set so far, in KiB."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmHWM:", 1)[1].split()[0])
    except (OSError, IndexError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(name: str, folder: Path, source: str | None, settings: dict[str, int]) -> dict:
    from flask import Flask
    from flask_babel import Babel
    from werkzeug.datastructures import FileStorage

    uploads = _load_uploads(source)
    app = Flask("uploads_bench")
    app.config.update(UPLOAD_FOLDER=str(folder / "stored"), UPLOAD_MAX_BYTES=5 * 1024 * 1024, UPLOAD_MAX_FILES=5)
    app.config.update(settings)
    Babel(app)
    paths = sorted(folder.glob(f"{name}-*"))
    blobs = [(p.name, p.read_bytes()) for p in paths]
    with app.test_request_context("/en/"):
        files = [FileStorage(stream=io.BytesIO(data), filename=filename) for filename, data in blobs]
        before = peak_rss_kb()
        start = time.perf_counter()
        errors = uploads.validate_many(files)
        stored = [] if errors else [uploads.store(f) for f in files]
        elapsed = time.perf_counter() - start
        after = peak_rss_kb()
        outcome = (f"stored {len(stored)} ({sum(s.size for s in stored) // 1024} KB)" if stored
                   else "refused: " + "; ".join(sorted({e.code for e in errors})))
        messages = [str(e.message) for e in errors][:2]
    return {"name": name, "seconds": round(elapsed, 2), "peak_mb": round((after - before) / 1024, 1),
            "outcome": outcome, "messages": messages,
            "input_kb": sum(len(d) for _, d in blobs) // 1024}


# --- driver --------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", help="another copy of app/core/uploads.py to measure")
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS), help="scenarios to run")
    parser.add_argument("--rounds", type=int, default=1, help="runs per scenario (the median is printed)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="an integer config value for the app (UPLOAD_MAX_PIXELS=…)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        settings = {key: int(value) for key, value in (item.split("=", 1) for item in args.set)}
        print(json.dumps(child(args.child, Path(args.folder), args.source, settings)))
        return
    names = args.only or list(SCENARIOS)
    label = (args.source or "app/core/uploads.py") + "".join(f" {item}" for item in args.set)
    print(f"uploads bench: {label}")
    with tempfile.TemporaryDirectory(prefix="uploads-bench-") as tmp:
        folder = Path(tmp)
        make_samples(folder, names)
        print(f"{'scenario':<56} {'input':>8} {'time':>8} {'peak RSS':>10}  outcome")
        for name in names:
            runs = []
            for _ in range(max(1, args.rounds)):
                command = [sys.executable, __file__, "--child", name, "--folder", str(folder)]
                if args.source:
                    command += ["--source", args.source]
                for item in args.set:
                    command += ["--set", item]
                result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)  # nosec B603
                if result.returncode != 0:
                    print(f"{name}: failed\n{result.stderr[-2000:]}")
                    break
                runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
            if not runs:
                continue
            runs.sort(key=lambda r: r["seconds"])
            r = runs[len(runs) // 2]
            print(f"{SCENARIOS[name][0]:<56} {r['input_kb']:>6} KB {r['seconds']:>6.2f} s {r['peak_mb']:>7.1f} MB  {r['outcome']}")
            for message in r["messages"]:
                print(f"{'':<56}   “{message}”")


if __name__ == "__main__":
    main()
