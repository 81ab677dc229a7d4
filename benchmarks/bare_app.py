"""The baseline for the load test: a bare Flask page, served by the same gunicorn configuration."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "ok"
