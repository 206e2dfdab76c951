"""The grading page's server: tornado on 127.0.0.1, every request but the static files behind a token.

The page (static/written.html and written.js) asks for one question's answers, rubric and grades as
JSON and sends each click back at once: toggling an item or saving a comment is one transaction on the
class gradebook (results/rubric_grades.py), so closing the browser or stopping the server loses
nothing. Nothing is cached between requests: another grader's clicks, `ps1 manual` or an edited rubric
show on the next request.

Routes:  GET  /                                   the page (?token=...&question=...)
         GET  /api/questions/<grade_id>           answers, rubric, grades (&names=1: with names)
         POST /api/questions/<grade_id>/items     {"key", "item", "on"}: apply or remove an item
         POST /api/questions/<grade_id>/comment   {"key", "comment"}
         GET  /static/..., /mathjax/...           the page's script and style, MathJax (no token)
"""

from __future__ import annotations

import functools
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import tornado.web
from nbgrader.api import Gradebook

from autograder.course import grading_course as cd
from autograder.course.layout import folder
from autograder.errors import InputError
from autograder.nbgrader_ext.feedback_math import mathjax_static
from autograder.nbgrader_ext.page_style import PAGE_STYLE
from autograder.problem_set import ProblemSet
from autograder.results import rubric_grades
from autograder.results.grades_table import graded_state
from autograder.rubric import Rubric
from autograder.written.answers import anonymous_order, class_answers, graded_students, student_key

STATIC = Path(__file__).resolve().parent / "static"
# The page runs only its own scripts: an answer that slipped a script past the cleaning still cannot run.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


@dataclass(frozen=True)
class Grading:
    """What every request needs: the grading folder and the token that opens it."""

    out: Path
    token: str

    @functools.cached_property
    def problem_set(self) -> ProblemSet:
        return folder(self.out).course.problem_set

    def rubric(self, grade_id: str) -> Rubric:
        """The question's rubric, read again from the file (an edit shows on the next request)."""
        try:
            rubrics = rubric_grades.rubrics_of(self.out)
        except InputError as exc:  # the file was broken while the page is open: say so on the page
            raise tornado.web.HTTPError(400, reason=str(exc)) from None
        if grade_id not in rubrics:
            raise tornado.web.HTTPError(404, reason=f"no rubric for {grade_id}")
        return rubrics[grade_id]

    def rescore(self) -> None:
        """Every rubric-graded score re-derived from the rubric file (HTTP 400 if it names no more
        an item the gradebook holds)."""
        try:
            rubrics = rubric_grades.rubrics_of(self.out)
            with self.gradebook() as gb:
                rubric_grades.retrying(gb, lambda: rubric_grades.rescore(gb, self.problem_set, rubrics))
        except InputError as exc:
            raise tornado.web.HTTPError(400, reason=str(exc)) from None

    def student(self, key: object) -> str:
        """The student behind a key of the page (answers.student_key)."""
        for student in graded_students(graded_state(self.out)):
            if student_key(student) == key:
                return student
        raise tornado.web.HTTPError(400, reason=f"no graded student has the key {key!r}: reload the page")

    def gradebook(self) -> Gradebook:
        return cd.gradebook(folder(self.out).course.root)


class TokenHandler(tornado.web.RequestHandler):
    """A handler that answers only to the token (query `token` or header `X-Token`)."""

    def initialize(self, grading: Grading) -> None:
        self.grading = grading

    def prepare(self) -> None:
        given = self.request.headers.get("X-Token") or self.get_query_argument("token", "")
        if not hmac.compare_digest(given.encode(), self.grading.token.encode()):
            raise tornado.web.HTTPError(
                403, reason="wrong or missing token: open the address ps1 written printed"
            )
        self.set_header("Content-Security-Policy", POLICY)
        self.set_header("Cache-Control", "no-store")

    def body(self) -> dict[str, Any]:
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError:
            raise tornado.web.HTTPError(400, reason="the request is not JSON") from None
        if not isinstance(data, dict):
            raise tornado.web.HTTPError(400, reason="the request is not a JSON object")
        return data

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.finish({"error": self._reason})


class PageHandler(TokenHandler):
    def get(self) -> None:
        rubrics = rubric_grades.rubrics_of(self.grading.out)
        question = self.get_query_argument("question", "")
        if question not in rubrics and rubrics:  # no question chosen yet: the first with a rubric
            query = {"token": self.grading.token, "question": next(iter(rubrics))}
            query |= {"names": "1"} if self.get_query_argument("names", "") == "1" else {}
            self.redirect("/?" + urlencode(query))
            return
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish((STATIC / "written.html").read_bytes())


class QuestionHandler(TokenHandler):
    def get(self, grade_id: str) -> None:
        rubric = self.grading.rubric(grade_id)
        names = self.get_query_argument("names", "") == "1"
        self.grading.rescore()  # scores follow the rubric file as it is now
        self.finish(question_data(self.grading, rubric, names=names))


class ItemHandler(TokenHandler):
    def post(self, grade_id: str) -> None:
        rubric, data = self.grading.rubric(grade_id), self.body()
        student = self.grading.student(data.get("key"))
        try:
            item = rubric.item(str(data.get("item"))).id
        except InputError as exc:
            raise tornado.web.HTTPError(400, reason=str(exc)) from None
        with self.grading.gradebook() as gb:
            rubric_grades.retrying(
                gb,
                lambda: toggle(
                    gb, self.grading.problem_set, student, rubric=rubric, item=item, on=bool(data.get("on"))
                ),
            )
        self.finish(question_data(self.grading, rubric, names=False, only=student))


class CommentHandler(TokenHandler):
    def post(self, grade_id: str) -> None:
        rubric, data = self.grading.rubric(grade_id), self.body()
        student = self.grading.student(data.get("key"))
        text = str(data.get("comment") or "").strip()

        def write() -> None:
            rubric_grades.set_comment(gb, self.grading.problem_set, student, grade_id=grade_id, text=text)
            gb.db.commit()

        with self.grading.gradebook() as gb:
            rubric_grades.retrying(gb, write)
        self.finish(question_data(self.grading, rubric, names=False, only=student))


def toggle(gb: Gradebook, ps: ProblemSet, student: str, *, rubric: Rubric, item: str, on: bool) -> None:
    """Apply (`on`) or remove one item, in one committed transaction; removing the last item leaves
    the answer ungraded again."""
    grade_id = rubric.question.grade_id
    items = set(rubric_grades.items_of(gb, ps, student, grade_id=grade_id))
    items = items | {item} if on else items - {item}
    if items:
        rubric_grades.apply(gb, ps, student, rubric=rubric, items=sorted(items))
    else:
        rubric_grades.forget(gb, ps, student, grade_id=grade_id)
        grade = gb.find_grade(grade_id, ps.notebook_id, ps.id, student)
        grade.manual_score, grade.needs_manual_grade = None, True
    gb.db.commit()


def question_data(
    grading: Grading, rubric: Rubric, *, names: bool, only: str | None = None
) -> dict[str, Any]:
    """The JSON the page shows: the question, its rubric, each student's answer and grade, progress.
    With `only`, just that student's grade (after a click) and the progress."""
    grade_id = rubric.question.grade_id
    state = graded_state(grading.out)
    ps = grading.problem_set
    with grading.gradebook() as gb:
        applied = rubric_grades.applied(gb, ps)
        scores = rubric_grades.manual_scores(gb, ps, grade_id)
        comments = rubric_grades.manual_comments(gb, ps, grade_id)
    order = anonymous_order(graded_students(state))
    graded = sum(scores.get(s) is not None for s in order)

    def grade(number: int, student: str) -> dict[str, Any]:
        mine = {"number": number, "key": student_key(student), "score": scores.get(student)}
        mine |= {"items": applied.get((student, grade_id), [])}
        return mine | {"comment": comments.get(student, ""), "name": student if names else None}

    data: dict[str, Any] = {"graded": graded, "total": len(order)}
    if only is not None:
        return data | {"student": grade(order.index(only) + 1, only)}
    answers = class_answers(grading.out, state, grade_id)
    students = [grade(a.number, a.student) | {"html": a.html} for a in answers]
    questions = [{"id": q.grade_id, "title": q.title} for q in ps.questions if q.manual]
    items = [{"id": i.id, "points": i.points, "label": i.label()} for i in rubric.items]
    question = {"id": grade_id, "title": rubric.question.title, "points": rubric.question.points}
    return data | {"question": question, "questions": questions, "rubric": items, "students": students}


def application(out: Path, token: str) -> tornado.web.Application:
    """The grading page of grading folder `out`, opened by `token`."""
    grading = {"grading": Grading(Path(out).resolve(), token)}
    return tornado.web.Application(
        [
            (r"/", PageHandler, grading),
            (r"/api/questions/(\w+)", QuestionHandler, grading),
            (r"/api/questions/(\w+)/items", ItemHandler, grading),
            (r"/api/questions/(\w+)/comment", CommentHandler, grading),
            (r"/static/(.*)", tornado.web.StaticFileHandler, {"path": str(STATIC)}),
            (
                r"/page/(page_style\.css|page_mathjax\.js)",
                tornado.web.StaticFileHandler,
                {"path": str(PAGE_STYLE.parent)},
            ),
            (r"/mathjax/(.*)", tornado.web.StaticFileHandler, {"path": str(mathjax_static())}),
        ],
        compress_response=True,
    )


def check_rubrics(out: Path) -> dict[str, Rubric]:
    """The folder's rubrics; InputError if no written question has one (the page would grade nothing)."""
    rubrics = rubric_grades.rubrics_of(out)
    if not rubrics:
        where = rubric_grades.rubric_file(out)
        raise InputError(
            f"no rubric to grade with: {where} has none; write one (docs/instructor.md, Rubrics)"
        )
    return rubrics
