"""What arrives broken on the wire gets a 400 in the page's language, under the server the product runs on.

gunicorn reads a chunked body itself and raises its own errors for a bad chunk; those reached Flask from
inside the CSRF check or the API's body read and ended as 500s (the robustness probe). Bytes that are not
UTF-8 were stored as U+FFFD."""
from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import PASSWORD
from engine import Engine
from samples import CHECK_COMPLETE, make_pdf
from test_bad_input import nothing_changed, problem, request_data
from test_pages import login
from test_sop_api import file_case, open_task

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(templates, tmp_path_factory):
    """gunicorn serving wsgi:app on a copy of the migrated SQLite template, with one Tim Layanan token."""
    folder = tmp_path_factory.mktemp("wire")
    shutil.copy(templates["sqlite"], folder / "sengketa.db")
    url = f"sqlite:///{folder / 'sengketa.db'}"
    engine = Engine(url)
    engine.identity.add_user("citra", "tim_layanan", "citra@contoh.go.id", PASSWORD)
    token = engine.tokens.new("citra")
    engine.close()
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "wire", "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                               "--threads", "2", "wsgi:app"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if server.poll() is not None:
                pytest.fail("gunicorn did not start: " + server.stderr.read().decode(errors="replace"))
            time.sleep(0.1)
    yield port, token, server
    server.terminate()
    server.wait(timeout=15)


def raw_request(port: int, head: str, body: bytes) -> tuple[int, dict, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    header, _, content = answer.partition(b"\r\n\r\n")
    lines = header.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, content


BROKEN_CHUNKS = [b"zz\r\na=b\r\n0\r\n\r\n",   # a chunk size that is not hexadecimal
                 b"2\r\n{}XX0\r\n\r\n"]        # a chunk without its terminating CRLF


@pytest.mark.parametrize("body", BROKEN_CHUNKS)
def test_a_broken_chunked_form_is_a_400_page_in_indonesian(served, body):
    port, _token, server = served
    status, headers, content = raw_request(port, (
        "POST /login HTTP/1.1\nHost: 127.0.0.1\nContent-Type: application/x-www-form-urlencoded\n"
        "Transfer-Encoding: chunked\nConnection: close\n"), body)
    assert status == 400, content[:300]
    assert headers["content-type"].startswith("text/html")
    assert "Badan permintaan rusak atau terputus" in content.decode()


@pytest.mark.parametrize("body", BROKEN_CHUNKS)
def test_a_broken_chunked_api_body_is_a_400_problem(served, body):
    port, token, _server = served
    status, headers, content = raw_request(port, (
        "POST /api/v1/tasks/00000000-0000-0000-0000-000000000000/complete HTTP/1.1\nHost: 127.0.0.1\n"
        f"Authorization: Bearer {token}\nContent-Type: application/json\nTransfer-Encoding: chunked\n"
        "Connection: close\n"), body)
    assert status == 400, content[:300]
    assert headers["content-type"] == "application/problem+json"
    assert "Badan permintaan rusak" in json.loads(content)["detail"]


def test_an_account_change_under_gunicorn_is_answered(served):
    """A change the audit log records: the officer changes her password on her account page (CSRF and all)."""
    port, _token, _server = served
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    base = f"http://127.0.0.1:{port}"

    def post(path, fields):
        page = browser.open(base + path, timeout=10).read().decode()
        fields["csrf_token"] = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return browser.open(base + path, urllib.parse.urlencode(fields).encode(), timeout=10)
    post("/login", {"username": "citra", "password": PASSWORD})
    changed = post("/akun", {"current": PASSWORD, "new": "rahasia-456", "repeated": "rahasia-456"})
    assert "Kata sandi diubah" in changed.read().decode()


def test_the_server_logged_the_audit_and_no_unhandled_error(served):
    """Runs after the requests above (same module): gunicorn's log holds no traceback from them, and the app's
    own log lines (the audit of accounts, errors) reach it instead of being dropped as unconfigured."""
    port, _token, server = served
    server.terminate()
    _out, log = server.communicate(timeout=15)
    assert b"Traceback" not in log and b"unhandled error" not in log, log.decode(errors="replace")[-2000:]
    assert b"sengketa.audit: password changed by citra" in log, log.decode(errors="replace")[-2000:]


# -- bytes that are not UTF-8 (the Flask test client is enough: Werkzeug decodes the same way) ------------
def test_a_json_body_that_is_not_utf8_is_refused_and_changes_nothing(people):
    citra, ani = people["citra"], people["ani"]
    case = file_case(ani)
    task = open_task(citra, case)
    citra.post(f"/tasks/{task['id']}/claim")
    body = json.dumps({"data": {**CHECK_COMPLETE, "summary": "Ringkasan café ok"}}, ensure_ascii=False).encode().replace(
        "é".encode(), b"\xe9")
    answer = problem(citra.post(f"/tasks/{task['id']}/complete", data=body,
                                headers={"Content-Type": "application/json"}), 400)
    assert "bukan UTF-8" in answer["detail"] and answer["code"] == "malformed"
    assert open_task(citra, case)["id"] == task["id"]  # still open, nothing stored


def test_a_multipart_data_part_that_is_not_utf8_is_refused_and_files_nothing(people):
    ani = people["ani"]
    data = json.dumps(request_data(), ensure_ascii=False).encode().replace(b"Kabupaten", b"Kabupat\xe9n")
    assert b"\xe9" in data
    body = (b"--B\r\nContent-Disposition: form-data; name=\"data\"\r\n\r\n" + data + b"\r\n"
            b"--B\r\nContent-Disposition: form-data; name=\"letter\"; filename=\"s.pdf\"\r\n"
            b"Content-Type: application/pdf\r\n\r\n" + make_pdf() + b"\r\n--B--\r\n")
    answer = problem(ani.post("/cases", data=body, content_type="multipart/form-data; boundary=B"), 400)
    assert "bukan UTF-8" in answer["detail"]
    nothing_changed(ani)


def test_a_page_form_that_is_not_utf8_is_refused_in_indonesian(client, people):
    login(client, "ani")
    # the filing page sends multipart; Werkzeug decodes its fields with errors="replace"
    body = (b"--B\r\nContent-Disposition: form-data; name=\"current\"\r\n\r\ncaf\xe9\r\n"
            b"--B\r\nContent-Disposition: form-data; name=\"new\"\r\n\r\nabcdefghij\r\n--B--\r\n")
    response = client.post("/akun", data=body, content_type="multipart/form-data; boundary=B")
    assert response.status_code == 400
    assert "bukan UTF-8 yang sah" in response.get_data(as_text=True)


def test_a_chunked_json_body_past_the_limit_is_413_not_a_cut_json_error(app, people):
    """Werkzeug stops reading a chunked body at the limit without saying so: the JSON looked cut short."""
    import io
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = b'{"data": {"summary": "' + b"x" * limit + b'"}}'
    response = app.test_client().post(
        "/api/v1/tasks/00000000-0000-0000-0000-000000000000/complete", input_stream=io.BytesIO(body),
        headers={"Authorization": f"Bearer {people['citra'].token}", "Content-Type": "application/json",
                 "Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})
    answer = problem(response, 413)
    assert "melebihi batas" in answer["detail"]


def test_a_multipart_request_with_two_data_parts_is_refused(people):
    """The robustness probe: the second part was silently ignored."""
    ani = people["ani"]
    body = (b"--B\r\nContent-Disposition: form-data; name=\"data\"\r\n\r\n" + json.dumps(request_data()).encode()
            + b"\r\n--B\r\nContent-Disposition: form-data; name=\"data\"\r\n\r\n{}\r\n"
            b"--B\r\nContent-Disposition: form-data; name=\"letter\"; filename=\"s.pdf\"\r\n"
            b"Content-Type: application/pdf\r\n\r\n" + make_pdf() + b"\r\n--B--\r\n")
    answer = problem(ani.post("/cases", data=body, content_type="multipart/form-data; boundary=B"), 400)
    assert answer["detail"] == "Bagian 'data' dikirim 2 kali; kirim satu saja."
    nothing_changed(ani)
