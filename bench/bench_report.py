"""Benchmark: a full analysis report for 1,000 participants x 40 trials.

Times every statistic (including the binomial mixed model and a 1,000-resample kappa
bootstrap), all figures and the self-contained HTML page, then prints wall and CPU seconds per
stage and the peak memory. Target: under 5 s on the 2-core development machine.

    .venv/bin/python bench/bench_report.py [--participants 1000] [--trials 40] [--repeat 1]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def timed(label: str, results: list, action):
    wall, cpu = time.perf_counter(), time.process_time()
    value = action()
    results.append((label, time.perf_counter() - wall, time.process_time() - cpu))
    return value


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def run_once(answers, *, seed: int) -> list:
    from analysis import build_report, render_html, report_figures

    stages: list = []
    report = timed(
        "statistics (build_report)",
        stages,
        lambda: build_report(answers, title="benchmark", n_bootstrap=1000, seed=seed),
    )
    figures = timed("figures", stages, lambda: report_figures(report))
    page = timed("HTML (PNG encoding)", stages, lambda: render_html(report, figures=figures))
    stages.append(("html size (KiB)", len(page) / 1024, None))
    return stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    started = time.perf_counter()
    import analysis.html_report  # noqa: F401  (imports are timed apart from the work)
    import analysis.report  # noqa: F401
    from analysis.simulate import simulate_answers

    print(f"imports: {time.perf_counter() - started:.2f} s")
    answers = simulate_answers(
        n_participants=args.participants,
        n_trials=args.trials,
        n_options=3,
        accuracy=0.7,
        participant_sd=0.8,
        item_sd=0.4,
        n_catch=2,
        seed=0,
    )
    print(
        f"answers: {len(answers)} rows ({args.participants} participants x {args.trials} trials"
        " + 2 catch trials each)"
    )
    rss_before = peak_rss_mib()
    for run in range(args.repeat):
        stages = run_once(answers, seed=run)
        total_wall = sum(s[1] for s in stages if s[2] is not None)
        total_cpu = sum(s[2] for s in stages if s[2] is not None)
        print(f"run {run + 1}:")
        for label, wall, cpu in stages:
            if cpu is None:
                print(f"  {label:28s} {wall:8.0f}")
            else:
                print(f"  {label:28s} {wall:8.2f} s wall {cpu:8.2f} s cpu")
        print(f"  {'TOTAL':28s} {total_wall:8.2f} s wall {total_cpu:8.2f} s cpu")
    print(f"peak RSS: {peak_rss_mib():.0f} MiB (after loading data: {rss_before:.0f} MiB)")
    load = Path("/proc/loadavg")
    if load.exists():
        print(f"load average at end: {load.read_text().split()[0]} (2 cores; >2 means contention)")


if __name__ == "__main__":
    main()
