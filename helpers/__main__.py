"""Command line: `python -m helpers list | reproduce | course | data | cache` (see README)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import InvalidParameterError, SerxaiError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m helpers", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("list", help="notebooks, their parameters and the figures each writes")

    rep = sub.add_parser("reproduce", help="execute notebooks with papermill")
    rep.add_argument("notebooks", nargs="*", metavar="PAPER", help="default: all notebooks")
    rep.add_argument("--profile", metavar="NAME|FILE.yaml",
                     help="a profile name (notebooks/params/<paper>.<profile>.yaml, see `list`) or the path to "
                          "your own YAML parameter file ('name: value' lines; a relative data_dir in it is read "
                          "from the file's folder)")
    rep.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                     metavar=("KEY", "VALUE"), help="override one parameter (YAML value)")
    rep.add_argument("--output-dir", type=Path,
                     help="where executed notebooks go (default: notebooks/ for the plain regeneration; a run "
                          "with --profile or -p: $SERXAI_RUNS/<profile>, by default in the user cache)")
    rep.add_argument("--figures-dir", type=Path,
                     help="where figures and tables go (default: figures/ for the default regeneration, "
                          "else <output-dir>/figures)")
    rep.add_argument("--no-progress", action="store_true",
                     help="no progress bars (for logs and CI); the per-notebook summary is still printed")
    rep.add_argument("--jobs", type=int, default=None, metavar="N",
                     help="execute N notebooks at once, each in its own kernel (default: one per core, as many "
                          "as memory holds at 2.5 GB each; outputs are the same for every N)")
    rep.add_argument("--timings", action="store_true",
                     help="after the summary, print the ten slowest cells of the run (wall and CPU time)")
    rep.add_argument("--check", action="store_true",
                     help="regenerate into a scratch folder and compare every table with the committed "
                          "one (the smoke profile: with tests/golden/smoke); exit 1 on a difference")
    rep.add_argument("--against", type=Path, metavar="DIR",
                     help="with --check: compare the figures already written under DIR instead of regenerating")

    from .course import add_cli as add_course_cli

    add_course_cli(sub)

    from .fetch import add_cli as add_data_cli

    add_data_cli(sub)

    cache = sub.add_parser("cache", help="feature cache: info or clear")
    cache.add_argument("action", choices=["info", "clear"])
    cache.add_argument("--cache-dir", type=Path)
    return parser


def _reproduce(args) -> int:
    from . import reproduce

    if args.check or args.against:
        return _check(args)
    results = reproduce.run(
        args.notebooks, profile=args.profile, overrides=dict(args.parameter),
        output_dir=args.output_dir, figures_dir=args.figures_dir, progress=not args.no_progress,
        timings=args.timings, jobs=args.jobs,
    )
    failed = [r for r in results if r.status != "ok"]
    for r in failed:
        print(f"error: notebook {r.notebook} failed at {r.error}", file=sys.stderr)
    return 1 if failed else 0


def _check(args) -> int:
    from . import check, notebooks

    if args.against is not None:
        if not args.against.is_dir():
            raise InvalidParameterError(f"--against {args.against}: not a folder of figures")
        names = args.notebooks or [n for n in notebooks.available() if (args.against / n).is_dir()]
        report = check.compare_run(names, args.against, check.reference_for(args.profile))
        print(report.text())
    else:
        report = check.check(args.notebooks, profile=args.profile, overrides=dict(args.parameter),
                             scratch=args.output_dir, progress=not args.no_progress, jobs=args.jobs)
    return 0 if report.ok else 1


def _course(args) -> int:
    from . import course

    if args.action == "list":
        print(course.describe(args.notebooks))
        return 0
    if args.action == "grade":
        return _grade(args.notebooks)
    if args.out is None:
        what = "folder for the student notebooks" if args.action == "release" else "the nbgrader course directory"
        raise InvalidParameterError(f"'course {args.action}' needs --out DIR ({what})")
    write = course.release if args.action == "release" else course.course_source
    write(args.notebooks, args.out, profile=None if args.no_profile else args.profile)
    return 0


def _grade(paths) -> int:
    import nbformat

    from . import course

    if not paths:
        raise InvalidParameterError("'course grade' needs the submitted notebooks (.ipynb files)")
    missing = [p for p in paths if not Path(p).is_file()]
    if missing:
        raise InvalidParameterError(f"no such notebook {', '.join(map(repr, missing))}")
    for path in paths:
        marks = course.grade(nbformat.read(path, as_version=4))
        for m in marks:
            print(f"{path}\t{m.grade_id}\t{m.points if m.passed else 0:g}/{m.points:g}"
                  + ("" if m.passed else f"\t{m.error}"))
        earned = sum(m.points for m in marks if m.passed)
        print(f"{path}\ttotal\t{earned:g}/{sum(m.points for m in marks):g}")
    return 0


def _data(args) -> int:
    from . import fetch, manifest

    if args.action == "list":
        print(fetch.describe_corpora(args.data_dir))
        return 0
    if not args.name:
        raise InvalidParameterError(f"'data {args.action}' needs a corpus name; valid: {', '.join(manifest.valid_names())}")
    act = fetch.fetch if args.action == "fetch" else fetch.check
    report = act(args.name, data_dir=args.data_dir)
    print(report)
    status, why = fetch.exit_status(report, args.allow_subset)
    if why:
        print(why)
    return status


def _cache(args) -> int:
    from . import cache

    if args.action == "info":
        print(cache.info(args.cache_dir))
    else:
        print(f"removed {cache.clear(args.cache_dir)} entries")
    return 0


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "list":
            from . import reproduce

            print(reproduce.describe())
            return 0
        return {"reproduce": _reproduce, "course": _course, "data": _data, "cache": _cache}[args.command](args)
    except InvalidParameterError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except SerxaiError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except OSError as err:  # e.g. a folder that cannot be read or written: one line, no traceback
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
