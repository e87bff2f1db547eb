"""``--format html``: one self-contained page, parsed here and opened in a real headless Chromium.

The static tests parse the page with the standard library's HTML parser (what tags, which
links, what text); the ``slow`` ones load it in Debian's ``chromium`` over the DevTools
protocol (tests/support/headless_chromium.py: Chromium runs as root with ``--no-sandbox``
there, and only there) and prove it renders with no console error and no request, and
save screenshots under tests/artifacts/ (CI keeps them).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pylint_image.linter import Finding, ImageLocation, Notification, Report, Severity, SourceLocation, Span, Table
from pylint_image.linter.formatters.html import CSP, HtmlFormatter, render_page
from tests.support import synth_image as synth
from tests.support.headless_chromium import open_page
from tests.support.sample_report import DOCKERFILE, RULES, full_report

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

# Strings an image's author controls (created_by, paths) or a container prints (messages).
SCRIPT = "<script>window.__pwned=1</script>"
IMG = "<img src=x onerror=window.__pwned=2>"
ATTR = "\"><svg onload=window.__pwned=3>"
HOSTILE_DOCKERFILE = f"""\
FROM busybox:1.36
RUN echo '{SCRIPT}' > /x && chmod 4755 /x
RUN rm /big.bin
"""
HOSTILE_SPEC = {
    "ref": "evil/app:1", "config": {"User": "1000", "Cmd": ["sh"]},
    "layers": [
        {"created_by": "/bin/sh -c #(nop) ADD file:abc in / ", "files": [
            {"path": "/bin/busybox", "size": 30_000, "mode": "0755"}]},
        {"created_by": f"/bin/sh -c echo '{SCRIPT}' > /x && chmod 4755 /x", "files": [
            {"path": "/x", "content": SCRIPT + "\n", "mode": "04755"},
            {"path": "/big.bin", "size": 300_000},
            {"path": "/" + IMG, "size": 20_000, "mode": "04755"}]},
        {"created_by": "/bin/sh -c rm /big.bin", "files": [{"path": "/big.bin", "type": "whiteout"}]},
    ],
}

FORBIDDEN_TAGS = {"script", "img", "iframe", "object", "embed", "link", "base", "form", "svg", "video", "audio",
                  "source", "frame", "frameset", "meta-refresh"}


class Page(HTMLParser):
    """The page as data: tags, ids, links, attributes, text by element class and by row."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self.text: list[str] = []
        self.classes: dict[str, int] = {}
        self.rows: dict[str, list[str]] = {}       # tr id -> its text pieces
        self.metas: list[dict[str, str]] = []
        self._row: str | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = {k: v or "" for k, v in attrs}
        self.attrs.extend(values.items())
        if "id" in values:
            self.ids.append(values["id"])
        if "href" in values:
            self.hrefs.append(values["href"])
        for cls in values.get("class", "").split():
            self.classes[cls] = self.classes.get(cls, 0) + 1
        if tag == "tr":
            self._row = values.get("id")
            if self._row:
                self.rows[self._row] = []
        if tag == "meta":
            self.metas.append(values)

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._row:
            self.rows[self._row].append(data)

    def row(self, row_id: str) -> str:
        return " | ".join(self.rows[row_id])


def render(report: Report) -> str:
    stream = io.StringIO()
    HtmlFormatter(color=None, concise=False).render(report, stream)
    return stream.getvalue()


def assert_self_contained(page: Page, text: str) -> None:
    """No script, no external anything, every link a fragment that names an element of the page."""
    assert not FORBIDDEN_TAGS & set(page.tags), sorted(FORBIDDEN_TAGS & set(page.tags))
    assert not [k for k, _ in page.attrs if k.startswith("on")]
    assert not [v for k, v in page.attrs if k in ("src", "srcset", "action", "data", "poster", "background")]
    assert all(href.startswith("#") for href in page.hrefs), [h for h in page.hrefs if not h.startswith("#")]
    assert {href[1:] for href in page.hrefs} <= set(page.ids), {h for h in page.hrefs if h[1:] not in page.ids}
    assert len(page.ids) == len(set(page.ids)), "duplicate ids"
    assert "url(" not in text and "@import" not in text
    csp = [m["content"] for m in page.metas if m.get("http-equiv") == "Content-Security-Policy"]
    assert csp == [CSP] and "default-src 'none'" in CSP and "script-src" not in CSP


def test_format_html_is_listed_in_help_and_in_the_unknown_format_error(tmp_path: Path) -> None:
    cli = [sys.executable, "-m", "pylint_image.linter.cli"]
    helped = subprocess.run([*cli, "--help"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert "github, html" in " ".join(helped.stdout.split())
    wrong = subprocess.run([*cli, "--format", "htm", "Dockerfile"], capture_output=True, text=True, timeout=60,
                           cwd=tmp_path)
    assert wrong.returncode == 2 and "html" in wrong.stderr.split("supported:")[1]


def test_page_is_self_contained_deterministic_and_keeps_everything_visible() -> None:
    report = full_report()
    text = render(report)
    assert text == render(report) == render_page(report)
    assert text.startswith("<!DOCTYPE html>\n") and text.endswith("</html>\n")
    page = Page(text)
    assert_self_contained(page, text)
    # Findings: the visible ones, one row each, in sort order; the suppressed one is only counted.
    visible = sorted(report.visible(), key=Finding.sort_key)
    rows = [r for r in page.rows if r.startswith("finding-")]
    assert rows == [f"finding-{i}" for i in range(len(visible))] and len(visible) == 6
    for i, f in enumerate(visible):
        assert f.code in page.row(f"finding-{i}") and f.message.split("\n")[0] in page.row(f"finding-{i}")
    assert "debian" not in " ".join(" ".join(page.rows[r]) for r in rows)   # the suppressed DF1006
    summary = "".join(page.text)
    assert "Found 6 findings (2 error, 2 warning, 1 info, 1 style); 1 suppressed; 2 notifications." in summary
    # The runtime finding's second line and the notifications are there too.
    assert "RT3001" in page.row("finding-5") and "whoami said root, 100%" in page.row("finding-5")
    assert "user namespaces are unavailable: probes skipped" in summary
    assert "rule-crashed" in summary


def test_findings_link_to_their_dockerfile_lines_and_lines_link_back() -> None:
    text = render(full_report())
    page = Page(text)
    lines = full_report().sources["app/Dockerfile"].count("\n")
    assert [i for i in page.ids if i.startswith("L")] == [f"L{n}" for n in range(1, lines + 1)]
    # DF1006 on line 2, DF2010 on 3 (a two-line span), DF3001 on 5, IM2001 on 8; the /bin/su
    # and runtime findings have no line and link nowhere.
    assert '<tr id="finding-0"' in text
    for n in (2, 3, 5, 8):
        assert f'href="#L{n}"' in text
    assert '<div class="line hit hit-info" id="L4">' in text        # the second line of DF2010's span
    assert '<div class="line hit hit-error" id="L8">' in text
    assert '<div class="line" id="L6">' in text                     # the suppressed finding's line is no hit
    # Each finding's line carries a badge back to the finding's row.
    badge_targets = [h for h in page.hrefs if h.startswith("#finding-")]
    assert len(badge_targets) == 4
    # The crashed rule's notification links to line 1.
    assert 'href="#L1"' in text


def test_bars_show_each_rows_share_and_width() -> None:
    text = render(full_report())
    page = Page(text)
    assert page.classes["bar-row"] == 3 and page.classes["seg"] == 2      # a 0 B layer has no segment
    assert 'style="display:block;width:100.000%"' in text and 'style="display:block;width:25.000%"' in text
    assert "80.0%" in page.row("table-0-row-0") and "20.0%" in page.row("table-0-row-1")
    assert "0.0%" in page.row("table-0-row-2")
    assert 'href="#table-0-row-1" style="width:20.000%"' in text


def hostile_report() -> Report:
    """Every string the page shows made hostile: created_by, paths, messages, hints, titles, ids."""
    src = SourceLocation(DOCKERFILE, Span(2, 1, 2, 10))
    findings = (
        Finding("IM2001", "setuid-binary", Severity.ERROR, ImageLocation(ATTR, "/" + IMG, "sha256:" + "c" * 64, src),
                f"{SCRIPT} is setuid \u202eevil\u202c \x1b[31mred", "fp-1", fix_hint=ATTR, tool_ids=(SCRIPT,)),
    )
    table = Table(f"Layers of {SCRIPT}", ("#", f"size{ATTR}", "Dockerfile", "created by"),
                  (("0", "1 KiB", "line 2", SCRIPT), ("1", IMG, f"line 2{ATTR}", ATTR)), (1.0, 0.5))
    return Report(findings=findings, notifications=(Notification(SCRIPT, "error", IMG, src, rule=ATTR),),
                  rules=RULES, targets=(SCRIPT,), tool_version=ATTR, root=DOCKERFILE.parent.parent,
                  tables=(table,), sources={"app/Dockerfile": f"FROM x\nRUN echo '{SCRIPT}{IMG}{ATTR}'\n"})


def test_hostile_strings_are_text_not_markup() -> None:
    text = render(hostile_report())
    page = Page(text)
    assert_self_contained(page, text)
    assert set(page.tags) <= {"html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "div", "p",
                              "nav", "a", "main", "section", "table", "thead", "tbody", "tr", "th", "td", "span",
                              "ul", "li", "footer"}
    shown = "".join(page.text)
    for hostile in (SCRIPT, IMG, ATTR):
        assert shown.count(hostile) >= 4, hostile     # shown as text, in cells, messages, titles, source
        assert hostile not in text                    # never raw in the markup
    # Bidirectional overrides and ESC are shown as escapes, as on a terminal (Trojan Source).
    assert "\u202e" not in text and "\x1b" not in text and "\\u202eevil\\u202c \\x1b[31mred" in shown


def test_container_output_carries_no_control_characters() -> None:
    """What a container printed (ESC, CR, NUL, C1, bidi) is shown as escapes, tabs and newlines kept."""
    from tests.linter.test_hostile_inputs import _container_report

    text = render(_container_report())
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text), repr(text)
    shown = "".join(Page(text).text)
    assert "exited 1: \\x1b]0;pwned\\x07\\x1b[2J\\rERROR\\x9b31m \\u202egnp.exe\\x00 done" in shown
    assert "done\tok\nsecond line" in shown and "/bin/\\x1b[31mls" in shown and "/etc/\\x1b[8mhidden" in shown
    assert "RUN \\x1b[31m red" in shown


def _hostile_image(tmp_path: Path) -> Path:
    synth.write_oci_layout(HOSTILE_SPEC, tmp_path / "layout")
    (tmp_path / "Dockerfile").write_text(HOSTILE_DOCKERFILE)
    return tmp_path


def _image_html(cwd: Path, out: str = "report.html") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "image", "layout", "--dockerfile",
                           "Dockerfile", "--format", "html", "-o", out], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "NO_COLOR": "1"})


def test_image_command_writes_the_layer_picture(tmp_path: Path) -> None:
    cwd = _hostile_image(tmp_path)
    done = _image_html(cwd)
    assert done.returncode == 1, done.stderr       # setuid files: warnings fail the run, as in text
    assert done.stdout == "" and done.stderr == ""
    text = (cwd / "report.html").read_text(encoding="utf-8")
    assert _image_html(cwd, "again.html").returncode == 1
    assert (cwd / "again.html").read_text(encoding="utf-8") == text     # deterministic
    page = Page(text)
    assert_self_contained(page, text)
    # A bar per layer with its size, share, Dockerfile line (linked) and created_by.
    assert page.classes["bar-row"] == 3
    layer1 = page.row("table-0-row-1")
    assert "line 2" in layer1 and SCRIPT in layer1 and "%" in layer1
    assert '<a href="#L2">line 2</a>' in text and '<a href="#L1">line 1 (base)</a>' in text
    # The wasted-space table, and findings linked to their lines.
    assert "Wasted space:" in "".join(page.text) and "/big.bin" in page.row("table-1-row-0")
    setuid = [r for r in page.rows if r.startswith("finding-") and IMG in page.row(r)]
    assert setuid and all("Dockerfile:2:1" in page.row(r) for r in setuid)
    assert 'href="#L2">Dockerfile:2:1</a>' in text
    assert [i for i in page.ids if i.startswith("L")] == ["L1", "L2", "L3"]


def test_lint_command_writes_a_page_too(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python\nRUN apt-get install curl\n")
    done = subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "Dockerfile", "--format", "html"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    page = Page(done.stdout)
    assert_self_contained(page, done.stdout)
    rows = [page.row(r) for r in page.rows if r.startswith("finding-")]
    assert any("unpinned-image-tag" in r and "Dockerfile:1:" in r for r in rows), rows
    assert 'href="#L1"' in done.stdout and 'href="#L2"' in done.stdout


def _verify_html(cwd: Path) -> subprocess.CompletedProcess:
    # The image's entrypoint (sh) is not in it: verify proves that without starting anything.
    return subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "verify", "--image", "layout",
                           "Dockerfile", "--format", "html", "-o", "verify.html"], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "NO_COLOR": "1"})


def test_verify_command_writes_a_page_too(tmp_path: Path) -> None:
    cwd = _hostile_image(tmp_path)
    done = _verify_html(cwd)
    assert done.returncode == 1, done.stderr
    text = (cwd / "verify.html").read_text(encoding="utf-8")
    page = Page(text)
    assert_self_contained(page, text)
    rows = [page.row(r) for r in page.rows if r.startswith("finding-")]
    assert any("entrypoint" in r for r in rows) and any(IMG in r for r in rows), rows
    assert [i for i in page.ids if i.startswith("L")] == ["L1", "L2", "L3"]

# --- in a real browser -------------------------------------------------------------------

# What the page shows, as the browser laid it out (widths in CSS pixels).
PROBE = """(() => {
  const q = s => Array.from(document.querySelectorAll(s));
  const fills = q('tr.bar-row .fill').map(e => e.getBoundingClientRect().width);
  const tracks = q('tr.bar-row .track').map(e => e.getBoundingClientRect().width);
  const link = document.querySelector('tr.finding a[href^="#L"]');
  const before = document.querySelector(':target');
  if (link) link.click();
  const target = document.querySelector(':target');
  return {
    fills, tracks, segs: q('.stack .seg').map(e => e.getBoundingClientRect().width),
    findings: q('tr.finding').length, lines: q('.src .line').length,
    scripts: q('script').length, pwned: typeof window.__pwned,
    createdBy: q('#table-0-row-1 td').map(e => e.textContent), headers: q('#table-0 th').map(e => e.textContent),
    findingsText: q('tr.finding').map(e => e.textContent).join('\\n'),
    link: link && link.getAttribute('href'), before: before && before.id, target: target && target.id,
    targetBackground: target && getComputedStyle(target).backgroundColor,
    title: document.title,
  };
})()"""


def _save(name: str, png: bytes | None) -> Path:
    assert png is not None and png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    path.write_bytes(png)
    return path


@pytest.mark.slow
def test_the_browser_check_catches_errors_and_requests(tmp_path: Path) -> None:
    """The harness can fail: an exception, a console.error and a remote load are all reported."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"><title>t</title></head><body>'
                    '<p id="p">ok</p><script>console.error("boom")</script><script>noSuchFunction()</script>'
                    '<img src="http://127.0.0.1:9/x.png"></body></html>')
    seen = open_page(page, "document.getElementById('p').textContent", tmp_path / "browser")
    assert seen.values == "ok"
    assert any(e.startswith("console.error: boom") for e in seen.errors), seen.errors
    assert any("ReferenceError" in e and "noSuchFunction" in e for e in seen.errors), seen.errors
    assert seen.requests == ["http://127.0.0.1:9/x.png"]


@pytest.mark.slow
def test_image_report_renders_in_chromium(tmp_path: Path) -> None:
    cwd = _hostile_image(tmp_path)
    assert _image_html(cwd).returncode == 1
    seen = open_page(cwd / "report.html", PROBE, tmp_path / "browser", screenshot=True)
    shot = _save("html-report-image.png", seen.screenshot)
    assert seen.errors == [] and seen.requests == []
    v = seen.values
    # A bar per layer, drawn: the biggest layer fills its track, the others are thin but there.
    assert len(v["fills"]) == 3 and v["fills"][1] == pytest.approx(v["tracks"][1] - 2, abs=2)
    assert 0 < v["fills"][0] < v["fills"][1] / 5
    # The stacked bar: a segment per layer with bytes (the whiteout-only layer is 0 B, as in docker history).
    assert 2 <= len(v["segs"]) == sum(1 for w in v["fills"] if w > 0) and sum(v["segs"]) > 1000
    cells = dict(zip(v["headers"], v["createdBy"]))
    assert cells["Dockerfile"] == "line 2" and SCRIPT in cells["created by"]
    assert v["findings"] >= 3 and IMG in v["findingsText"] and v["lines"] == 3
    # Hostile strings stayed text: no script element, nothing ran.
    assert v["scripts"] == 0 and v["pwned"] == "undefined"
    # A finding's link goes to its Dockerfile line, which is then highlighted.
    assert v["before"] is None and v["link"] == f"#{v['target']}" and v["target"].startswith("L")
    assert v["targetBackground"] not in ("rgba(0, 0, 0, 0)", "transparent")
    assert shot.stat().st_size > 10_000


@pytest.mark.slow
def test_escaping_alone_keeps_hostile_strings_inert(tmp_path: Path) -> None:
    """The same page without its Content-Security-Policy: nothing runs, because nothing is markup."""
    text = render(hostile_report())
    page = tmp_path / "no-csp.html"
    page.write_text(text.replace(f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n', ""))
    assert "Content-Security-Policy" not in page.read_text()
    seen = open_page(page, "({scripts: document.querySelectorAll('script,img,svg').length, pwned: typeof "
                     "window.__pwned, title: document.title})", tmp_path / "browser")
    assert seen.errors == [] and seen.requests == []
    assert seen.values == {"scripts": 0, "pwned": "undefined", "title": f"pylint-image: {SCRIPT}"}


@pytest.mark.slow
def test_lint_and_verify_reports_render_in_chromium(tmp_path: Path) -> None:
    """The generic report (source, image and runtime findings, notifications, a table) renders cleanly."""
    page = tmp_path / "full.html"
    page.write_text(render(full_report()))
    seen = open_page(page, "({findings: document.querySelectorAll('tr.finding').length, notes: "
                     "document.querySelectorAll('li.notification').length, bars: "
                     "document.querySelectorAll('tr.bar-row').length})", tmp_path / "browser", screenshot=True)
    _save("html-report-lint.png", seen.screenshot)
    assert seen.errors == [] and seen.requests == []
    assert seen.values == {"findings": 6, "notes": 2, "bars": 3}
    # A real verify report, as the CLI writes it.
    cwd = _hostile_image(tmp_path / "verify")
    assert _verify_html(cwd).returncode == 1
    seen = open_page(cwd / "verify.html", "document.querySelectorAll('tr.finding').length", tmp_path / "browser2",
                     screenshot=True)
    _save("html-report-verify.png", seen.screenshot)
    assert seen.errors == [] and seen.requests == [] and seen.values >= 2


def test_without_chromium_the_browser_tests_skip_locally_and_fail_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """CI installs chromium (.ci/run): there a missing browser is a failure, never a silent skip."""
    import tests.support.headless_chromium as hc

    monkeypatch.setattr(hc.shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        hc.require_chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        hc.require_chromium()
