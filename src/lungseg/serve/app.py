"""The web app: ``GET /`` is the page, ``POST /api/segment`` takes one X-ray as the raw request body.

Safety: the upload is read into memory up to the size limit (a larger one gets 413 before it is read
further); it is written only into a private temporary folder under a name the server picks, which is
deleted before the response is sent, so nothing a client sends becomes a path and nothing is kept. The
client's file name is used only in messages, cut to :data:`NAME_MAX` printable characters.
"""


import base64
import io
import logging
import tempfile
import threading
import urllib.parse
from importlib import resources
from pathlib import Path

import numpy as np
from PIL import Image

from lungseg.inference.batch import overlay_of
from lungseg.inference.pipeline import SegmentationResult
from lungseg.inference.preprocess import to_byte_mask
from lungseg.inference.segmenter import Segmenter

log = logging.getLogger(__name__)

NAME_MAX = 80
PAGE = resources.files("lungseg.serve") / "page.html"


def _fastapi():
    try:
        import fastapi
        import uvicorn
    except ImportError:
        raise ValueError("lungseg serve needs FastAPI and uvicorn: pip install 'lungseg[serve]'") from None
    return fastapi, uvicorn


def display_name(raw: str | None) -> str:
    """The client's file name for messages only: printable, no folders, at most NAME_MAX characters."""
    name = (raw or "upload").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable())[:NAME_MAX]
    return name or "upload"


def png_data_url(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def result_payload(result: SegmentationResult, name: str) -> dict:
    """What the page shows: measurements, flags, quality, the overlay and the downloadable mask and labels."""
    m = result.measurements
    return {
        "name": name,
        "measurements": {k: (None if isinstance(v, float) and v != v else v) for k, v in m.items() if k != "flags"},
        "flags": [f for f in m.get("flags", "").split(";") if f],
        "quality": None if m.get("quality") != m.get("quality") else m.get("quality"),
        "overlay": png_data_url(np.asarray(overlay_of(result).convert("RGB"))),
        "mask": png_data_url(to_byte_mask(result.mask)),
        "labels": png_data_url(result.labels),
    }


def segment_bytes(segmenter: Segmenter, data: bytes, name: str) -> SegmentationResult:
    """Segment an uploaded file's bytes; ValueError (naming ``name``) for anything unreadable."""
    with tempfile.TemporaryDirectory(prefix="lungseg-serve-") as folder:
        path = Path(folder) / "upload"
        path.write_bytes(data)
        result = next(segmenter.segment_many([path], batch_size=1))
    if result.error:
        raise ValueError(result.error.replace(str(path), name))
    return result


def create_app(segmenter: Segmenter, max_bytes: int):
    """The FastAPI app around one loaded ``segmenter`` (requests take turns on it)."""
    fastapi, _ = _fastapi()
    from fastapi.responses import HTMLResponse, JSONResponse

    app = fastapi.FastAPI(title="lungseg", docs_url=None, redoc_url=None, openapi_url=None)
    lock = threading.Lock()
    limit_mb = max_bytes / 1024 / 1024

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        return PAGE.read_text(encoding="utf-8").replace("__LIMIT_MB__", f"{limit_mb:g}")

    @app.post("/api/segment")
    async def segment(request: fastapi.Request):
        name = display_name(urllib.parse.unquote(request.headers.get("x-filename") or ""))
        too_big = JSONResponse({"error": f"{name}: larger than the {limit_mb:g} MB limit; downscale it"}, 413)
        if int(request.headers.get("content-length") or 0) > max_bytes:
            return too_big
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:
                return too_big
            chunks.append(chunk)
        if size == 0:
            return JSONResponse({"error": f"{name}: empty upload; choose a PNG, JPEG or DICOM file"}, 400)
        def work() -> dict:
            with lock:
                return result_payload(segment_bytes(segmenter, b"".join(chunks), name), name)

        try:
            return await fastapi.concurrency.run_in_threadpool(work)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, 422)

    return app


def serve(
    host: str, port: int, model: str | None, max_bytes: int, convention: str = "visible", backend: str = "torch"
) -> None:
    """Run the app with uvicorn until interrupted (``backend``: as ``lungseg segment --backend``)."""
    _, uvicorn = _fastapi()
    app = create_app(Segmenter.from_pretrained(model, convention=convention, backend=backend), max_bytes)
    if host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("serving on %s: anyone who can reach this address can upload X-rays", host)
    log.info("lungseg serve: open http://%s:%d/ (Ctrl-C stops it)", host, port)
    uvicorn.run(app, host=host, port=port, log_level="warning")
