"""``python -m api [--host H] [--port P]``: serve the API with uvicorn against the DATAML_* workspace."""

from __future__ import annotations

import argparse
import copy
import os

import uvicorn
from uvicorn.config import LOGGING_CONFIG


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m api", description="Serve the DataML Studio API.")
    parser.add_argument("--host", default=os.environ.get("DATAML_API_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("DATAML_API_PORT", "8000")))
    args = parser.parse_args()
    log_config = copy.deepcopy(LOGGING_CONFIG)
    log_config["filters"] = {"redact": {"()": "api.access_log.RedactSecrets"}}
    log_config["handlers"]["access"]["filters"] = ["redact"]
    uvicorn.run("api.main:app", host=args.host, port=args.port, log_config=log_config, proxy_headers=False)


if __name__ == "__main__":
    main()
