"""Vega-Lite specs rendered to PNG by vl-convert in a child process, never in the caller's.

vl-convert runs Rust and V8 inside the process that calls it, and some inputs end that whole
process instead of raising an exception: a text holding a control character (U+0001, U+FFFE…)
makes it panic (« thread caused non-unwinding panic. aborting. »), a chart with a million marks
makes V8 abort when it runs out of memory. In the app's server, that would end every person's
session. So the PDF export never calls vl-convert itself: :func:`render_pngs` starts a fresh
interpreter on this file (``python -I …/guichet/io/render.py``: not a fork of the threaded
server), sends it every spec of one PDF at once on standard input, and reads the PNGs back on
standard output. The child

- limits its own memory before it imports vl-convert: ``RLIMIT_DATA`` at :data:`MEMORY_LIMIT`
  (2 GiB), ``RLIMIT_CPU`` and no core file;
- is killed after :data:`TIMEOUT` seconds (30 s);
- and at most :data:`MAX_CHILDREN` of them run at once (others wait, within the same timeout).

``RLIMIT_DATA`` rather than ``RLIMIT_AS``: V8 reserves about 64 GiB of address space when it
starts (its pointer-compression cages) and uses a tiny part of it, so any address-space limit
a machine can honour stops vl-convert from starting at all. ``RLIMIT_DATA`` counts the private
writable memory the child really uses: 2 GiB renders every chart of the simulator, and a chart
of a million points is stopped at the limit.

A child that crashes, is killed, or runs out of memory or time gives ``None`` for the whole
call (the caller goes on without charts); a spec that vl-convert merely rejects (an exception)
gives ``None`` for that chart only.

Protocol (UTF-8 JSON): ``{"charts": [{"spec": {…}, "scale": 2.0}, …]}`` on standard input,
``{"pngs": [base64 text or null, …]}`` on standard output. ``python -m guichet.io.render`` reads
and writes the same.

This file imports only the standard library at its top and nothing from ``guichet``: the child
runs it by its path in isolated mode (``-I``: no current directory on the path, no user site,
no ``PYTHON*`` variables).
"""

from __future__ import annotations

import base64
import json
import logging
import struct
import subprocess
import sys
import threading
from typing import Any

#: Seconds a child may take for all the charts of one PDF before it is killed.
TIMEOUT = 30.0
#: Bytes of private writable memory (``RLIMIT_DATA``) a child may use.
MEMORY_LIMIT = 2 * 1024 ** 3
#: Children rendering at the same time, in one server process.
MAX_CHILDREN = 2
#: A PNG larger than this, in bytes or in pixels, is dropped (the PDF's size, and the memory the
#: PDF writer needs to read it, stay bounded).
MAX_PNG_BYTES = 2 * 1024 * 1024
MAX_PNG_PIXELS = 16_000_000

_SLOTS = threading.BoundedSemaphore(MAX_CHILDREN)
_log = logging.getLogger(__name__)


# --- the parent's side ----------------------------------------------------------------------------

def render_pngs(specs: list[dict[str, Any]], *, scale: float = 2.0, timeout: float | None = None,
                memory_limit: int | None = None) -> list[bytes | None] | None:
    """The PNG of each Vega-Lite spec (``None`` for a spec that failed to render), rendered
    all together in one child process; ``None`` when the child failed as a whole (crashed,
    killed, out of memory, out of time, or could not start). Never raises."""
    timeout = TIMEOUT if timeout is None else timeout
    memory_limit = MEMORY_LIMIT if memory_limit is None else memory_limit
    if not specs:
        return []
    try:
        request = json.dumps({"charts": [{"spec": s, "scale": scale} for s in specs]},
                             ensure_ascii=True, allow_nan=False).encode("ascii")
    except (TypeError, ValueError) as exc:  # not JSON: nothing a child could draw
        _log.warning("chart specs not serialisable: %s", exc)
        return None
    if not _SLOTS.acquire(timeout=timeout):
        _log.warning("chart rendering: no free renderer within %s s", timeout)
        return None
    try:
        run = subprocess.run(
            [sys.executable, "-I", __file__, "--memory", str(int(memory_limit)),
             "--cpu", str(int(timeout * 2) + 5)],
            input=request, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        _log.warning("chart rendering killed after %s s", timeout)
        return None
    except OSError as exc:
        _log.warning("chart renderer could not start: %s", exc)
        return None
    finally:
        _SLOTS.release()
    if run.returncode != 0:
        _log.warning("chart renderer ended with status %s: %s", run.returncode,
                     _reason(run.stderr))
        return None
    try:
        pngs = json.loads(run.stdout)["pngs"]
        out = [_png(p) for p in pngs]
    except (ValueError, KeyError, TypeError) as exc:
        _log.warning("chart renderer's answer not understood: %s", exc)
        return None
    return out if len(out) == len(specs) else None


def _reason(stderr: bytes) -> str:
    """The line of the child's standard error that says what happened (not its backtrace)."""
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    for line in lines:
        if any(word in line for word in ("panicked", "Fatal", "Error", "error:")):
            return line[:300]
    return lines[-1][:300] if lines else "(no message)"


def _png(text: str | None) -> bytes | None:
    if text is None:
        return None
    data = base64.b64decode(text, validate=True)
    if (not data.startswith(b"\x89PNG\r\n\x1a\n") or len(data) > MAX_PNG_BYTES
            or len(data) < 24):
        return None
    width, height = struct.unpack(">II", data[16:24])
    return data if width * height <= MAX_PNG_PIXELS else None


# --- the child's side -----------------------------------------------------------------------------

def _limit(memory: int, cpu: int) -> None:
    try:
        import resource
    except ImportError:  # pragma: no cover - not a POSIX system: the timeout still holds
        return
    for name, value in (("RLIMIT_DATA", memory), ("RLIMIT_CPU", cpu), ("RLIMIT_CORE", 0)):
        limit = getattr(resource, name, None)
        if limit is None:  # pragma: no cover
            continue
        _soft, hard = resource.getrlimit(limit)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(limit, (value, value))


def render_in_this_process(spec: dict[str, Any], scale: float = 2.0) -> bytes:
    """vl-convert in the calling process: for the child, and for measuring its cost. The app
    never calls it (see the module's docstring)."""
    import vl_convert as vlc

    version = None
    schema = str(spec.get("$schema", ""))
    if "/v" in schema:
        major_minor = ".".join(schema.rsplit("/v", 1)[1].split(".")[:2])
        if major_minor in vlc.get_vegalite_versions():
            version = major_minor
    png: bytes = (vlc.vegalite_to_png(spec, scale=scale, vl_version=version) if version
                  else vlc.vegalite_to_png(spec, scale=scale))
    return png


def _child(argv: list[str]) -> int:
    args = dict(zip(argv[::2], argv[1::2], strict=False))
    _limit(int(args.get("--memory", MEMORY_LIMIT)), int(args.get("--cpu", TIMEOUT * 2 + 5)))
    request: dict[str, Any] = json.loads(sys.stdin.buffer.read())
    pngs: list[str | None] = []
    for item in request["charts"]:
        try:
            png = render_in_this_process(item["spec"], float(item.get("scale", 2.0)))
        except Exception:  # this chart only: vl-convert raised, it did not abort
            pngs.append(None)
            continue
        pngs.append(base64.b64encode(png).decode("ascii") if len(png) <= MAX_PNG_BYTES else None)
    sys.stdout.write(json.dumps({"pngs": pngs}))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
