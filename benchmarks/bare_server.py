"""The bare reference server: the least work a model server can do, in the same web framework
as ``serve`` (gunicorn arbiter, uvicorn workers on uvloop + httptools, a plain ASGI app).

It parses the body with numpy (CSV) or orjson (JSON ``{"instances": [...]}``), calls the
booster's ``inplace_predict`` and writes the numbers back: no validation, transform, metadata,
request ids or logging. It is what ``serve`` would cost if correctness and operability were free,
so ``ours / bare`` is the price of those. Workers use ``serve``'s own worker class, so they get
the same TCP_NODELAY fix.

With ``BENCH_BARE_PREDICT=direct`` it predicts through the same XGBoost C call ``serve`` uses
(:mod:`ml_containers.serve.xgboost_direct`) instead of ``inplace_predict``: the *bare-direct*
peer. ``ours / bare-direct`` then compares equal prediction costs, so it is the price of the
contract alone.

Run: ``BENCH_BARE_MODEL=model.ubj gunicorn -w 2 -k ml_containers.serve.worker.ServingWorker
benchmarks.bare_server:app``.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import orjson
import xgboost as xgb
from ml_containers.serve.xgboost_direct import direct_predictor

MODEL_ENV = "BENCH_BARE_MODEL"
PREDICT_ENV = "BENCH_BARE_PREDICT"  # "inplace" (the default) or "direct"

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def load_booster(path: str) -> xgb.Booster:
    booster = xgb.Booster()
    booster.load_model(path)
    booster.set_param({"nthread": 1})  # one worker per core, as serve does
    return booster


def parse_csv(body: bytes, width: int) -> np.ndarray:
    """Rows of numbers, one per line; numpy's text parser on the comma-joined body."""
    values = np.fromstring(body.replace(b"\n", b","), dtype=np.float32, sep=",")
    return values.reshape(-1, width)


def parse_json(body: bytes) -> np.ndarray:
    return np.asarray(orjson.loads(body)["instances"], dtype=np.float32)


def predictor(booster: xgb.Booster, how: str) -> Callable[[np.ndarray], np.ndarray]:
    if how == "inplace":
        return booster.inplace_predict
    if how == "direct":
        width = booster.num_features()
        probe = np.random.default_rng(0).standard_normal((64, width)).astype(np.float32)
        direct = direct_predictor(booster, (0, 0), probe)
        if direct is None:
            raise RuntimeError("XGBoost's direct C call does not match inplace_predict here")
        return direct
    raise ValueError(f"{PREDICT_ENV} must be 'inplace' or 'direct', not {how!r}")


class BareApp:
    def __init__(self, booster: xgb.Booster, how: str = "inplace") -> None:
        self.predict = predictor(booster, how)
        self.width = booster.num_features()

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == "/ping":
            await _respond(send, b"{}", b"application/json")
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        is_json = any(
            name == b"content-type" and value.startswith(b"application/json")
            for name, value in scope["headers"]
        )
        rows = parse_json(body) if is_json else parse_csv(body, self.width)
        predictions = self.predict(rows)
        if is_json:
            await _respond(
                send, orjson.dumps({"predictions": predictions.tolist()}), b"application/json"
            )
        else:
            text = "\n".join(map(repr, predictions.tolist())) + "\n"
            await _respond(send, text.encode(), b"text/csv")


async def _respond(send: Send, body: bytes, content_type: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", content_type), (b"content-length", b"%d" % len(body))],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _app_from_environment() -> BareApp | None:
    path = os.environ.get(MODEL_ENV)
    return BareApp(load_booster(path), os.environ.get(PREDICT_ENV, "inplace")) if path else None


app = _app_from_environment()
