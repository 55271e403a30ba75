"""trading.multipart reads the same fields as WebOb's request.POST (cgi), or leaves the body to it."""
import random

import pytest
from webob import Request

from trading import multipart

BOUNDARY = "ggzy-test-boundary-1234"


def body_of(parts, boundary=BOUNDARY, end=b"--\r\n"):
    out = b""
    for headers, data in parts:
        out += b"--" + boundary.encode() + b"\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n" + data + b"\r\n"
    return out + b"--" + boundary.encode() + end


def request_of(body, content_type=f"multipart/form-data; boundary={BOUNDARY}"):
    return Request.blank("/upload", method="POST", body=body, headers={"Content-Type": content_type})


def contents(value):
    value.file.seek(0)
    data = value.file.read()
    value.file.seek(0)
    return data


def seen(fields):
    return [(name, (value.filename, value.type, contents(value)) if hasattr(value, "filename") else value)
            for name, value in fields.items()]


def both(body, **kw):
    """(what request.POST reads, what multipart.form reads, whether form took its own path)."""
    try:
        expected = seen(request_of(body, **kw).POST)
    except ValueError as error:  # cgi refuses the body: so must the fast path's fallback
        with pytest.raises(type(error)):
            multipart.form(request_of(body, **kw))
        return expected_error(error), expected_error(error), False
    request = request_of(body, **kw)
    fast = multipart.form(request)
    own = any(isinstance(v, multipart.UploadedFile) for v in fast.values())
    result = seen(fast)
    assert seen(request.POST) == result  # request.POST answers the same afterwards
    return expected, result, own


def expected_error(error):
    return [("error", type(error).__name__)]


def field(name, value):
    return ([f'Content-Disposition: form-data; name="{name}"'.encode()], value.encode() if isinstance(value, str) else value)


def upload(name, filename, data, content_type="application/pdf"):
    headers = [f'Content-Disposition: form-data; name="{name}"; filename="{filename}"'.encode()]
    if content_type is not None:
        headers.append(f"Content-Type: {content_type}".encode())
    return headers, data


def test_a_sealed_bid_is_read_without_cgi_and_the_same():
    data = random.Random(1).randbytes(1024 * 1024)
    body = body_of([field("offer", '{"price": "950000.00"}'), field("unlock_secret", "密码 secret"),
                    upload("files", "投标文件.pdf", data), upload("files", "报价单.xlsx", b"x" * 10, None)])
    expected, result, own = both(body)
    assert own and result == expected
    assert result[2] == ("files", ("投标文件.pdf", "application/pdf", data))


@pytest.mark.parametrize("data", [
    b"", b"\r\n", b"--", b"\r\n--" + BOUNDARY.encode() + b"x", b"line\n--" + BOUNDARY.encode() + b"\r\nmore",
    b"--" + BOUNDARY.encode() + b"\r\nrest", b"a\r\n--" + BOUNDARY.encode() + b" \r\nb", b"\r\r\n\n\r",
    b"\xff\xfe binary \x00", "中文 \\ \" ' ../../etc/passwd".encode(),
], ids=range(10))
def test_awkward_contents_read_the_same(data):
    for parts in ([upload("files", "a.bin", data)], [field("offer", data), upload("files", "a.bin", b"x")]):
        expected, result, _own = both(body_of(parts))
        assert result == expected


@pytest.mark.parametrize("headers", [
    [b'Content-Disposition: form-data; name="files"; filename="..\\\\..\\\\win.ini"'],
    [b'Content-Disposition: form-data; name="files"; filename="../../etc/passwd"'],
    [b'Content-Disposition: form-data; name="files"; filename="a\\"b.pdf"'],
    [b'Content-Disposition: form-data; name="files"; filename=""'],
    [b"Content-Disposition: form-data; name=files; filename=plain.pdf"],
    [b'Content-Disposition: form-data; name="files"; filename*=UTF-8\'\'%E4%B8%AD.pdf'],
    [b'Content-Disposition: attachment; name="files"; filename="a.pdf"'],
    [b'content-disposition: form-data; name="files"; filename="a.pdf"', b"CONTENT-TYPE: Text/HTML"],
    [b'Content-Disposition: form-data; name="files"; filename="a.pdf"', b"Content-Type: text/plain; charset=gbk"],
    [b'Content-Disposition: form-data; name="files"; filename="a.pdf"', b"Content-Transfer-Encoding: base64"],
    [b'Content-Disposition: form-data; name="files"; filename="a.pdf"', b"Content-Type: multipart/mixed"],
    [b'Content-Disposition: form-data; name="files";', b' filename="folded.pdf"'],
    [b'Content-Disposition: form-data; name="files"'],
    [b'Content-Disposition: form-data; name="files"', b"Content-Type: application/octet-stream"],
], ids=range(14))
def test_awkward_headers_read_the_same(headers):
    expected, result, _own = both(body_of([(headers, b"%PDF-1.4 data"), field("offer", "{}")]))
    assert result == expected


def test_bodies_cgi_reads_its_own_way_read_the_same():
    parts = [field("offer", "{}"), upload("files", "a.pdf", b"data")]
    for body in (b"preamble\r\n" + body_of(parts), body_of(parts, end=b"--"), body_of(parts, end=b"--\r\nepilogue"),
                 body_of(parts).replace(b"\r\n", b"\n"), body_of(parts)[:-30], b"", b"not multipart at all"):
        expected, result, _own = both(body)
        assert result == expected
    for content_type in ("multipart/form-data", "multipart/form-data; boundary=other", "application/json",
                         f"multipart/form-data; boundary={BOUNDARY}; charset=utf-8"):
        expected, result, _own = both(body_of(parts), content_type=content_type)
        assert result == expected


def test_random_bodies_read_the_same():
    rng = random.Random(7)
    alphabet = [b"\r\n", b"\n", b"\r", b"--", BOUNDARY.encode(), b"x", b"\x00", "中".encode()]
    for _ in range(200):
        data = b"".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))
        parts = [upload("files", f"f{rng.randrange(9)}.pdf", data)] if rng.random() < 0.5 else [field("offer", data)]
        expected, result, _own = both(body_of(parts + [field("unlock_secret", "s")]))
        assert result == expected
