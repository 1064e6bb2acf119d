"""Measure the monthly run against issue 13's targets, in one invocation.

    python benchmarks/run.py --preset federation          # the issue's inbox (1,000,000 rows)
    python benchmarks/run.py --preset federation --rows 20000 --scales ""   # a quick look

Generates the inbox once into benchmarks/.data/ (not committed), then measures, each as a
whole process: the reading floor (python-calamine reads every sheet of every file to a
DataFrame, then one concat), a cold run (`--no-cache`), a warm run after one small file is
added, peak memory of the cold run (all its processes together), `--help` of the command and
of each subcommand, the sample inbox, and where a cold run spends its time (per stage). With
`--scales` it also runs cold at several sizes to show time growing linearly with rows.
Prints every number with its target; `--strict` exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from generate import PRESETS, Shape, generate, preset  # noqa: E402 - the script's own folder first

AS_OF = "2026-11-30"
TARGETS = {
    "cold / floor": 1.5,
    "warm / cold": 0.25,
    "peak memory GiB": 1.5,
    "--help s": 0.3,
    "sample inbox s": 1.0,
}

FLOOR = """
import pathlib, sys
import pandas as pd
from python_calamine import CalamineWorkbook
frames = []
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*")):
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        book = CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            frames.append(pd.DataFrame(book.get_sheet_by_name(name).to_python()))
    elif suffix == ".csv":
        frames.append(pd.read_csv(path, header=None, dtype=object, keep_default_na=False))
pd.concat(frames, ignore_index=True)
"""

# Functions whose time the stage breakdown shows, by name, wherever they live: a module that
# moves keeps its stage; a name that is gone is left out. Nested stages overlap their parent.
STAGES = (
    "read_inbox",
    "parse_file",
    "validate_inbox",
    "resolve_people",
    "register_people",
    "evaluate",
    "forecast",
    "collect",
    "collect_evidence",
    "check_addresses",
    "progress_document",
    "compare",
    "month_files",
    "workbook_bytes",
    "dashboard_html",
    "run_record_file",
    "feedback_files",
    "ready_evidence_files",
    "reference_request_files",
    "render_letters",
    "render_digests",
    "outbox_files",
    "letter_pdfs",
    "_stage",  # writing the month's files, in a thread of its own
    "swap",  # waiting for that thread, then the swap
    "save",
    "prune",
)

STAGE_SCRIPT = """
import functools, json, sys, time
import balint_reports.cli as cli
stages = json.loads(sys.argv[1])
spent, cpu = {}, {}
def timed(name, function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        began, began_cpu = time.perf_counter(), time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - began
            cpu[name] = cpu.get(name, 0.0) + time.process_time() - began_cpu
    return wrapper
import balint_reports.monthly, balint_reports.pipeline  # noqa: the modules a run uses
wrapped = {}
for module in [m for n, m in sys.modules.items() if n.startswith("balint_reports")]:
    for name in stages:
        original = getattr(module, name, None)
        if callable(original) and getattr(original, "__module__", "").startswith("balint_reports"):
            if isinstance(original, type):
                continue
            key = id(original)
            wrapped.setdefault(key, timed(name, original))
            setattr(module, name, wrapped[key])
    for cls in [v for v in vars(module).values() if isinstance(v, type)]:
        for method in ("save", "swap"):
            if cls.__module__ == module.__name__ and method in stages and method in vars(cls):
                setattr(cls, method, timed(f"{cls.__name__}.{method}", vars(cls)[method]))
began, began_cpu = time.perf_counter(), time.process_time()
try:
    cli.main(sys.argv[2:], standalone_mode=False)
finally:
    spent["whole run (in process)"] = time.perf_counter() - began
    cpu["whole run (in process)"] = time.process_time() - began_cpu
    print(json.dumps({"wall": spent, "cpu": cpu}), file=sys.stderr)
"""


def _proportional(pid: int, rss: int) -> int:
    """A process's proportional set size (PSS): a page it shares with the processes it forked
    counts once among them, where resident sizes added up would count it in each. Its resident
    size where the system does not say."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return rss


class Peak:
    """Samples the memory of a process and all its children (PSS), added up."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _tree_rss(self) -> int:
        parents: dict[int, int] = {}
        rss: dict[int, int] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid = int(entry.name)
            parents[pid] = int(fields[1])
            rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        total, todo = 0, [self.pid]
        while todo:
            pid = todo.pop()
            total += _proportional(pid, rss.get(pid, 0))
            todo.extend(p for p, parent in parents.items() if parent == pid)
        return total

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._tree_rss())
            self._stop.wait(0.05)

    def stop(self) -> int:
        """The largest total seen, in bytes."""
        self._stop.set()
        self._thread.join()
        return self.peak


class Run(NamedTuple):
    """One command's wall time, peak memory, stderr and CPU time."""

    wall: float
    memory: int  # bytes, the whole process tree at its peak
    err: str
    cpu: float  # user + system seconds of the process and every worker it waited for


# A copy installed with pip has its modules compiled to bytecode at install (an editable one
# writes it at its first run); a shell that forbids writing bytecode would have every module
# compiled again at each start, which is not what the team's machines do.
AS_INSTALLED = ("PYTHONDONTWRITEBYTECODE",)


def timed(command: list[str], env: dict | None = None, unset: tuple[str, ...] = ()) -> Run:
    """Wall time, peak memory, stderr and CPU time of one command.

    CPU time counts the workers too, and other work on the machine hardly changes it: on a
    shared machine it is the steadier number; wall time is what the targets are about.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in {**os.environ, **(env or {})}.items() if k not in unset},
    )
    peak = Peak(process.pid) if sys.platform.startswith("linux") else None
    _, err = process.communicate()
    elapsed = time.perf_counter() - began
    memory = peak.stop() if peak else 0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({process.returncode}):\n{err}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(elapsed, memory, err, cpu)


def run_command(inbox: Path, out: Path, *extra: str) -> list[str]:
    """The monthly run as the team starts it."""
    return [
        sys.executable,
        "-m",
        "balint_reports",
        "run",
        str(inbox),
        "--out",
        str(out),
        "--as-of",
        AS_OF,
        *extra,
    ]


DATA = HERE / ".data"


def shape_for(name: str, rows: int | None, trainees: int | None = None) -> Shape:
    """The preset's inbox, at `rows` attendance rows and `trainees` trainees when given."""
    shape = preset(name, rows)
    if trainees is not None:
        shape = replace(shape, trainees=trainees, leaders=max(3, trainees // 15))
    return shape


def inbox_for(shape: Shape, name: str) -> Path:
    """The generated inbox, made once and kept in DATA (benchmarks/.data/ unless --data)."""
    folder = DATA / f"{name}-{shape.rows}-{shape.trainees}"
    if not (folder / ".complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        began = time.perf_counter()
        generate(folder, shape)
        (folder / ".complete").touch()
        print(f"generated {folder} in {time.perf_counter() - began:.0f} s", flush=True)
    return folder


def linked_copy(inbox: Path, target: Path) -> Path:
    """An inbox of links to the generated files, so a file can be added without touching them."""
    target.mkdir(parents=True)
    for path in sorted(inbox.iterdir()):
        if not path.name.startswith("."):
            (target / path.name).symlink_to(path)
    return target


def small_file(path: Path) -> None:
    """A new attendance file of a few rows, as a group leader sends in mid-month."""
    path.write_text(
        "trainee,date,activity,sessions,event\n"
        + "".join(f"T{i:05},0{1 + i % 9}/11/2026,member,1,late group\n" for i in range(20)),
        encoding="utf-8",
    )


def best(times: list[float]) -> float:
    """The least of several timings: other work on the machine only ever adds time."""
    return min(times)


def load_average() -> str:
    """The machine's load as `uptime` shows it (1, 5, 15 minutes): on a shared machine a
    number means little without it."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def measure(name: str, shape: Shape, repeat: int, stages: bool) -> dict:
    """Every number of one benchmark run on the preset's inbox."""
    inbox = inbox_for(shape, name)
    results: dict = {"inbox": str(inbox), "preset": name, "rows": shape.rows}
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        linked = linked_copy(inbox, work / "inbox")
        out = work / "out"
        floors, colds, warms, peaks = [], [], [], []
        cpus: dict[str, list[float]] = {"floor": [], "cold": [], "warm": []}
        loads: dict[str, list[str]] = {"floor s": [], "cold s": [], "warm s": []}
        for attempt in range(repeat):
            loads["floor s"].append(load_average())
            floor = timed([sys.executable, "-c", FLOOR, str(linked)])
            floors.append(floor.wall)
            cpus["floor"].append(floor.cpu)
            loads["cold s"].append(load_average())
            cold = timed(run_command(linked, out, "--no-cache"))
            colds.append(cold.wall)
            cpus["cold"].append(cold.cpu)
            peaks.append(cold.memory)
            added = linked / f"late-{attempt}.csv"
            small_file(added)
            loads["warm s"].append(load_average())
            warm = timed(run_command(linked, out))
            warms.append(warm.wall)
            cpus["warm"].append(warm.cpu)
            added.unlink()
        results["cpu s"] = {name: best(times) for name, times in cpus.items()}
        # the load when the best of each was measured
        results["load"] = {
            "floor s": loads["floor s"][floors.index(best(floors))],
            "cold s": loads["cold s"][colds.index(best(colds))],
            "warm s": loads["warm s"][warms.index(best(warms))],
        }
        results["floor s"] = best(floors)
        results["cold s"] = best(colds)
        results["warm s"] = best(warms)
        results["peak memory GiB"] = max(peaks) / 2**30
        if stages:
            # the cold run, then a warm one on its cache after one small file is added
            for name, extra in (("stages", ("--no-cache",)), ("warm stages", ())):
                results["load"][name] = load_average()
                added = linked / "late-staged.csv"
                if name == "warm stages":
                    small_file(added)
                command = run_command(linked, work / "staged", *extra)[3:]
                err = timed([sys.executable, "-c", STAGE_SCRIPT, json.dumps(STAGES), *command]).err
                added.unlink(missing_ok=True)
                staged = json.loads(err.strip().splitlines()[-1])
                results[name], results[f"{name} cpu"] = staged["wall"], staged["cpu"]
    results["cold / floor"] = results["cold s"] / results["floor s"]
    results["warm / cold"] = results["warm s"] / results["cold s"]
    return results


def measure_start(repeat: int) -> dict:
    """`--help` of the command and of each subcommand, and the sample inbox."""
    from balint_reports.cli import main as cli

    with tempfile.TemporaryDirectory() as folder:  # unmeasured: compiles what is not yet
        timed(run_command(ROOT / "sample_data", Path(folder) / "out"), unset=AS_INSTALLED)
    loads = {"--help s": load_average()}
    helps, help_cpu = {}, {}
    for command in ["", *sorted(cli.commands)]:
        words = [command, "--help"] if command else ["--help"]
        runs = [
            timed([sys.executable, "-m", "balint_reports", *words], unset=AS_INSTALLED)
            for _ in range(repeat)
        ]
        helps[command] = best([run.wall for run in runs])
        help_cpu[command] = best([run.cpu for run in runs])
    loads["sample inbox s"] = load_average()
    with tempfile.TemporaryDirectory() as folder:
        samples = [
            timed(
                run_command(ROOT / "sample_data", Path(folder) / "out", "--no-cache"),
                unset=AS_INSTALLED,
            )
            for _ in range(repeat)
        ]
    return {
        "--help s": max(helps.values()),
        "help per command": helps,
        "sample inbox s": best([run.wall for run in samples]),
        "start cpu s": {
            "--help": max(help_cpu.values()),
            "sample inbox": best([run.cpu for run in samples]),
        },
        "start load": loads,
    }


def measure_scaling(
    name: str, scales: list[int], trainees: int | None
) -> dict[int, tuple[float, str]]:
    """Cold-run time at each size, with the load it was measured under."""
    times = {}
    for rows in scales:
        inbox = inbox_for(shape_for(name, rows, trainees), name)
        with tempfile.TemporaryDirectory() as folder:
            load = load_average()
            times[rows] = (timed(run_command(inbox, Path(folder) / "out", "--no-cache")).wall, load)
    return times


def machine() -> str:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import pandas

    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, Python {platform.python_version()}, "
        f"pandas {pandas.__version__}"
    )


def report(results: dict) -> list[str]:
    """The lines to print; a target line ends in `met` or `NOT MET`."""
    lines = [f"machine: {results['machine']}", f"inbox: {results['inbox']}"]
    load = {**results.get("load", {}), **results.get("start load", {})}
    lines.append(
        f"floor {results['floor s']:.2f} s (load {load.get('floor s', '?')}); "
        f"cold {results['cold s']:.2f} s (load {load.get('cold s', '?')}); "
        f"warm (one small file added) {results['warm s']:.2f} s (load {load.get('warm s', '?')})"
    )
    for command, seconds in results["help per command"].items():
        lines.append(f"  --help {command or '(the command)'}: {seconds:.2f} s")
    cpu, start_cpu = results["cpu s"], results["start cpu s"]
    lines.append(
        f"CPU seconds, workers included (steadier on a shared machine): floor {cpu['floor']:.2f}, "
        f"cold {cpu['cold']:.2f} ({cpu['cold'] / cpu['floor']:.2f} × floor), "
        f"warm {cpu['warm']:.2f} ({cpu['warm'] / cpu['cold']:.2f} × cold), "
        f"--help {start_cpu['--help']:.2f}, sample inbox {start_cpu['sample inbox']:.2f}"
    )
    for name, what in (("stages", "cold run"), ("warm stages", "warm run")):
        if name not in results:
            continue
        lines.append(
            f"{what} by stage, wall and CPU of the main process (nested stages overlap their "
            f"parent; the workers' CPU is not counted; load {load[name]}):"
        )
        for stage, seconds in sorted(results[name].items(), key=lambda s: -s[1]):
            used = results[f"{name} cpu"].get(stage, 0.0)
            lines.append(f"  {stage:<28} {seconds:7.2f} s  cpu {used:7.2f} s")
    if results.get("scaling"):
        lines.append("cold run by size (seconds per 100,000 rows should stay about the same):")
        for rows, (seconds, at) in results["scaling"].items():
            lines.append(
                f"  {int(rows):>9,} rows {seconds:7.2f} s  {seconds / int(rows) * 1e5:.2f} s/100k"
                f"  (load {at})"
            )
    for name, target in TARGETS.items():
        value = results[name]
        verdict = "met" if value <= target else "NOT MET"
        at = f"  (load {load[name]})" if name in load else ""
        lines.append(f"{name:<16} {value:7.2f}  (target ≤ {target:g})  {verdict}{at}")
    return lines


def main() -> int:
    """Measure, print, and with --strict fail when a target is missed."""
    global DATA
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--preset", choices=sorted(PRESETS), default="federation")
    parser.add_argument("--rows", type=int, help="attendance rows (default: the preset's)")
    parser.add_argument("--trainees", type=int, help="trainees (default: the preset's)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the best counts")
    parser.add_argument(
        "--start-repeat", type=int, default=3, help="runs of --help and the sample inbox"
    )
    parser.add_argument("--data", type=Path, default=DATA, help="where inboxes are generated")
    parser.add_argument(
        "--scales",
        default="100000,300000,1000000",
        help="comma-separated row counts for the scaling runs; empty for none",
    )
    parser.add_argument("--no-stages", action="store_true", help="skip the per-stage run")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args()
    DATA = args.data
    results = {"machine": machine()}
    shape = shape_for(args.preset, args.rows, args.trainees)
    results.update(measure(args.preset, shape, args.repeat, not args.no_stages))
    results.update(measure_start(args.start_repeat))
    scales = [int(s) for s in args.scales.split(",") if s.strip()]
    # the cold run just measured is the scaling run of its own size: not run twice
    scaling = measure_scaling(args.preset, [r for r in scales if r != shape.rows], args.trainees)
    if shape.rows in scales:
        scaling[shape.rows] = (results["cold s"], results["load"]["cold s"])
    results["scaling"] = dict(sorted(scaling.items()))
    for line in report(results):
        print(line)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    missed = [name for name, target in TARGETS.items() if results[name] > target]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
