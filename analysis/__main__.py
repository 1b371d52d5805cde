"""Command line: the same analysis on answers collected anywhere.

    python -m analysis report answers.csv --format json     (no --out: to standard output)
    python -m analysis report answers.csv --out report.html
    python -m analysis report answers.csv --out report.json        (or --format json)
    python -m analysis report answers.csv --out report.pdf
    python -m analysis report answers.csv --out tables/ --format csv   (one CSV per table)
    python -m analysis report answers.csv --out results.csv   (conditions; results.<table>.csv)
    python -m analysis report brightness.csv contrast.csv style.csv --out table1.html
                                       (several files: one report across the studies)
    python -m analysis plan --accuracy 0.7 --options 3 --trials 20

Exit status 2 when the CSV cannot be used (missing file, missing or unknown columns).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

FORMATS = ("html", "json", "pdf", "csv")
SUFFIX_FORMATS = {
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".pdf": "pdf",
    ".zip": "csv",
    ".csv": "csv",
}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "report":
        return run_report(args)
    return run_plan(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("report", help="statistics report from answers CSV files")
    report.add_argument(
        "answers",
        type=Path,
        nargs="+",
        help="CSV, one row per answer (docs/analysis.md); several files: a report across "
        "studies, each file one study named by its file name",
    )
    report.add_argument(
        "--out", default="-", help="output file or folder; '-' or none = standard output"
    )
    report.add_argument("--format", choices=FORMATS, help="default: from the --out suffix")
    report.add_argument("--title", default=None, help="report title (default: the file names)")
    report.add_argument("--alpha", type=float, default=0.05)
    report.add_argument("--bootstrap", type=int, default=1000, help="kappa bootstrap resamples")
    report.add_argument("--rater-policy", choices=("subsample", "complete_trials"))
    report.add_argument("--no-mixed-model", action="store_true", help="skip the mixed model")
    report.add_argument("--seed", type=int, default=0)
    report.add_argument("--allow-extra-columns", action="store_true", help="ignore unknown columns")
    rules = report.add_argument_group("exclusion rules (default: flags honoured, 0 failed catch)")
    rules.add_argument("--no-exclusions", action="store_true", help="keep every participant")
    rules.add_argument("--max-failed-catch", type=_optional_int, default=0, metavar="N|none")
    rules.add_argument("--min-median-rt-ms", type=float, default=None)
    rules.add_argument("--min-answers", type=int, default=None)
    rules.add_argument("--ignore-screening", action="store_true")
    rules.add_argument("--ignore-excluded-flag", action="store_true")
    plan = commands.add_parser("plan", help="participants needed (pooled test and mixed model)")
    plan.add_argument("--accuracy", type=float, required=True, help="expected accuracy")
    plan.add_argument("--options", type=int, required=True, help="options per trial (k)")
    plan.add_argument("--trials", type=int, required=True, help="trials per participant")
    plan.add_argument("--alpha", type=float, default=0.05)
    plan.add_argument("--power", type=float, default=0.8)
    plan.add_argument("--participant-sd", type=float, default=0.5, help="logit scale")
    plan.add_argument("--item-sd", type=float, default=0.3, help="logit scale")
    plan.add_argument("--simulations", type=int, default=100)
    plan.add_argument("--no-simulation", action="store_true", help="pooled test only")
    plan.add_argument("--seed", type=int, default=0)
    return parser


def _optional_int(text: str) -> int | None:
    return None if text.lower() == "none" else int(text)


def output_format(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    suffix = Path(args.out).suffix.lower()
    return SUFFIX_FORMATS.get(suffix, "csv" if suffix == "" and args.out != "-" else "html")


def run_report(args: argparse.Namespace) -> int:
    from analysis.combined import stack_studies
    from analysis.exclusions import ExclusionRules
    from analysis.report import build_report

    twice = sorted({str(p) for p in args.answers if args.answers.count(p) > 1})
    if twice:
        return _fail(f"a file is named twice: {', '.join(twice)}")
    tables = {}
    for name, path in study_names_for(args.answers).items():
        loaded = _load(path, allow_extra_columns=args.allow_extra_columns)
        if isinstance(loaded, int):
            return loaded
        tables[name] = loaded
    answers = next(iter(tables.values())) if len(tables) == 1 else stack_studies(tables)
    report = build_report(
        answers,
        title=args.title or ", ".join(path.name for path in args.answers),
        exclusions=_rules(args, ExclusionRules),
        alpha=args.alpha,
        n_bootstrap=args.bootstrap,
        rater_policy=args.rater_policy or "subsample",
        mixed_model=not args.no_mixed_model,
        seed=args.seed,
    )
    written = write_report(report, out=args.out, fmt=output_format(args))
    print(
        f"{written}: {report.n_participants} participants, {report.n_answers} answers, "
        f"{len(report.notes)} note(s)",
        file=sys.stderr,
    )
    return 0


def _load(path: Path, *, allow_extra_columns: bool):
    """The answers of one CSV, or the exit status after saying what is wrong with it."""
    from analysis.table import AnswersSchemaError, load_answers_csv

    try:
        return load_answers_csv(path, allow_extra_columns=allow_extra_columns)
    except FileNotFoundError:
        return _fail(f"no such file: {path}")
    except AnswersSchemaError as error:
        hint = " (use --allow-extra-columns to ignore unknown ones)" if error.unknown else ""
        return _fail(f"{path}: {error}{hint}")
    except (ValueError, UnicodeDecodeError) as error:
        return _fail(f"{path}: not a readable CSV ({error})")


def study_names_for(paths: list[Path]) -> dict[str, Path]:
    """Each file's study name: its stem, or its path without suffix where two stems agree."""
    stems = [path.stem for path in paths]
    return {
        (stem if stems.count(stem) == 1 else str(path.with_suffix(""))): path
        for path, stem in zip(paths, stems, strict=True)
    }


def _rules(args: argparse.Namespace, rules_class):
    if args.no_exclusions:
        return rules_class.none()
    return rules_class(
        use_excluded_flag=not args.ignore_excluded_flag,
        require_screening_pass=not args.ignore_screening,
        max_failed_catch=args.max_failed_catch,
        min_median_rt_ms=args.min_median_rt_ms,
        min_answers=args.min_answers,
    )


def write_report(report, *, out: str, fmt: str) -> str:
    """Render `report` in `fmt` to `out` ('-' = standard output); returns where it went.

    On standard output, CSV is the per-condition table alone and PDF the document's bytes.
    """
    if out == "-":
        sys.stdout.buffer.write(render_bytes(report, fmt))
        sys.stdout.flush()
        return "stdout"
    if fmt == "csv":
        from analysis.data_export import write_csv_tables

        if out.lower().endswith(".zip"):
            Path(out).write_bytes(render_bytes(report, "zip"))
        elif out.lower().endswith(".csv"):
            write_csv_tables(report, Path(out).parent, main_table=Path(out))
        else:
            write_csv_tables(report, out)
        return out
    Path(out).write_bytes(render_bytes(report, fmt))
    return out


def render_bytes(report, fmt: str) -> bytes:
    if fmt == "pdf":
        from analysis.pdf_report import render_pdf

        return render_pdf(report)
    if fmt == "zip":
        from analysis.data_export import render_csv_zip

        return render_csv_zip(report)
    if fmt == "csv":
        from analysis.data_export import report_tables
        from analysis.spreadsheet import safe_table

        conditions = safe_table(report_tables(report)["conditions"])
        return conditions.to_csv(index=False).encode("utf-8")
    if fmt == "json":
        from analysis.data_export import render_json

        return render_json(report).encode("utf-8")
    from analysis.html_report import render_html

    return render_html(report).encode("utf-8")


def run_plan(args: argparse.Namespace) -> int:
    from analysis.power import plan_sample_size

    try:
        plan = plan_sample_size(
            accuracy=args.accuracy,
            n_options=args.options,
            alpha=args.alpha,
            power=args.power,
            trials_per_participant=args.trials,
            participant_sd=args.participant_sd,
            item_sd=args.item_sd,
            simulate_mixed=not args.no_simulation,
            n_simulations=args.simulations,
            seed=args.seed,
        )
    except ValueError as error:
        return _fail(str(error))
    data = plan.to_dict()
    data.pop("pooled_curve")
    print(json.dumps(data, indent=2))
    return 0


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
