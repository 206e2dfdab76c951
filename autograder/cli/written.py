"""`ps1 written <out>`: grade the written answers one question at a time, with the rubric, in a browser.

Serves a page on this machine only (127.0.0.1), opened by a random token printed with its address.
It shows one student's answer at a time (typeset offline, an anonymous number instead of the name
unless asked), the question's rubric items to click (keys 1-9) and a comment box, with keys n and p
for the next and previous student and the count of answers graded. Every click is saved to the
class gradebook at once, as nbgrader's manual score and comment: stopping the server (Ctrl-C) or
closing the browser loses nothing. Several graders may work at once, each with this command or the
same address. Then `ps1 feedback` or `ps1 export` write grades.csv and the pages.
"""

from __future__ import annotations

import contextlib
import secrets
import signal

import tornado.httpserver
import tornado.ioloop
import tornado.netutil

from autograder.cli.folder_arguments import add_folder_arguments, checked_folder
from autograder.cli.parsing import command_parser
from autograder.course import grading_course as cd
from autograder.course.layout import folder
from autograder.course.run_lock import run_lock
from autograder.results import rubric_grades
from autograder.results.feedback_pages import bring_up_to_date
from autograder.written.server import application, check_rubrics

HOST = "127.0.0.1"  # never another interface: the page shows students' work


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("written", __doc__)
    add_folder_arguments(parser)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    args = parser.parse_args(argv)
    out = checked_folder(args).resolve()  # a folder never graded: one line, exit status 2
    with run_lock(out):  # brief: bring an older folder up to date, scores up to the current rubric
        bring_up_to_date(out)
        rubrics = check_rubrics(out)
        course = folder(out).course
        with cd.gradebook(course.root) as gb:
            for note in rubric_grades.rescore(gb, course.problem_set, rubrics):
                print("note:", note)
    sockets = tornado.netutil.bind_sockets(args.port, HOST)
    server = tornado.httpserver.HTTPServer(application(out, token := secrets.token_urlsafe(24)))
    server.add_sockets(sockets)
    port = sockets[0].getsockname()[1]
    print(f"grading page: http://{HOST}:{port}/?token={token}", flush=True)
    print("every click is saved at once; Ctrl-C stops the server", flush=True)
    loop = tornado.ioloop.IOLoop.current()
    signal.signal(signal.SIGTERM, lambda *_: loop.add_callback_from_signal(loop.stop))
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how the grader stops it
        loop.start()
    server.stop()
    return 0
