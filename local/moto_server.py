"""A single-threaded moto server for S3, SQS, Firehose, Secrets Manager, SSM and Cognito.

moto's own ``moto_server`` is threaded and its backends are not atomic under
concurrent requests; serving one request at a time keeps every emulated service
consistent. Run as ``python -m local.moto_server --port N``.

Its listen backlog is raised from werkzeug's 128, like every local server's: a burst of new
connections waits for its turn instead of being reset.
"""

from __future__ import annotations

import argparse

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug import serving

from local import moto_firehose

BACKLOG = 512


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    moto_firehose.install()  # Firehose -> S3 object keys as AWS writes them
    app = DomainDispatcherApplication(create_backend_app)
    serving.BaseWSGIServer.request_queue_size = BACKLOG  # read when the server starts listening
    serving.run_simple(args.host, args.port, app, threaded=False, use_reloader=False)


if __name__ == "__main__":
    main()
