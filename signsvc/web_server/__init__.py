"""The HTTP server of ``signsvc serve``: a gunicorn worker that reads each request whole
before a thread serves it (``worker.BufferingWorker``), and answers its own errors as
problem+json. No Flask, PKCS#11 or pyHanko here."""
