# signsvc service image: gunicorn as a non-root user. The HSM vendor's PKCS#11 module,
# the configuration, trust anchors and secrets (PINs, passphrases) are mounted by the
# deployment; nothing secret is baked into the image.
#
#   docker build -t signsvc .
#   docker run -p 8080:8080 \
#     -v /etc/signsvc:/etc/signsvc:ro -v /opt/hsm/lib:/opt/hsm/lib:ro \
#     -v /run/secrets/signsvc:/run/secrets/signsvc:ro -v signsvc-state:/var/lib/signsvc \
#     -e SIGNSVC_CONFIG=/etc/signsvc/signsvc.toml signsvc
#
# In production put nginx in front (it terminates TLS and reads each request whole before
# signsvc sees it): compose.yaml next to this file runs PostgreSQL, two instances and nginx
# (config/nginx.cluster.conf); config/nginx/signsvc.conf is the single-instance front.
FROM debian:bookworm-slim

RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      python3 python3-pip python3-venv \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/signsvc
COPY pyproject.toml README.md ./
COPY scripts/install.sh scripts/install.sh
COPY signsvc signsvc
COPY config config
COPY certs/trust certs/trust

# the same install script that `make` and `.ci/run` use (system packages + the project);
# the project's wheel also goes to /usr/share/signsvc/dist: the signing agent's package that
# /help/agent offers when the config sets [pages] agent_package_dir = "/usr/share/signsvc/dist"
ENV PIP_BREAK_SYSTEM_PACKAGES=1
RUN bash scripts/install.sh --prod \
 && python3 -m pip wheel --no-cache-dir --no-deps -w /usr/share/signsvc/dist . \
 && rm -rf /var/lib/apt/lists/* /root/.cache

RUN useradd --system --home /var/lib/signsvc --create-home --shell /usr/sbin/nologin signsvc
USER signsvc
ENV SIGNSVC_CONFIG=/etc/signsvc/signsvc.toml \
    SIGNSVC_SERVICE__STATE_DIR=/var/lib/signsvc \
    SIGNSVC_AUDIT__PATH=/var/lib/signsvc/audit.sqlite3 \
    SIGNSVC_SERVICE__HOST=0.0.0.0
EXPOSE 8080
HEALTHCHECK CMD python3 -c "import urllib.request;urllib.request.urlopen('http://127.0.0.1:8080/healthz',timeout=3)"
CMD ["signsvc", "serve", "--workers", "2", "--threads", "4"]
