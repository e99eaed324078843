"""The command line: `python -m bot <command>`; `python -m bot <command> --help` for its options.

chat              talk to the assistant in the terminal (no Telegram token needed)
ask               answer one question, or questions from stdin with --json
eval              measure the engine on a held-out question set (--dialogues: conversations)
kb check          validate knowledge/ (exit 1 naming file, line and entry on problems)
kb build          compile knowledge/ into the SQLite store
kb export --json  print every entry with all its texts
kb calibrate      fit the confidence to the knowledge base (writes knowledge/calibration.yaml)
commune export    the local details in effect: commune.yaml with the officers' /caidat values over it
run               start the Telegram bot (and the web guide when WEB_URL is set)
web               serve the tourism guide and its map alone, on http://127.0.0.1:8080 by default
health            exit 0 while the running bot talks to Telegram (the Docker HEALTHCHECK)
backup            an online copy of the database, safe while the bot runs
qr                printable QR posters that open the bot on an entry
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from bot.settings import PACKAGE_ROOT, Settings, SettingsError

if TYPE_CHECKING:
    from bot.engine.engine import Engine
    from bot.knowledge.schema import Commune

log = logging.getLogger("bot")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bot",
        description="Bình Lư commune assistant: a Telegram bot answering from a curated knowledge base.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    p.add_argument("--knowledge", type=Path, help="knowledge folder (default: KNOWLEDGE_DIR or ./knowledge)")
    p.add_argument("--data-dir", type=Path, help="where the SQLite database lives (default: BOT_DATA_DIR or ./data)")
    p.add_argument("--debug", action="store_true", help="log debug details, show tracebacks")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    c = sub.add_parser("chat", help="talk to the assistant in the terminal")
    c.add_argument("--lang", default="vi", choices=["vi", "en"], help="language when a question does not tell")

    a = sub.add_parser("ask", help="answer a question (or one per stdin line with --json)")
    a.add_argument("question", nargs="?", help="the question; omit with --json to read stdin")
    a.add_argument("--json", action="store_true", help="read questions one per line, print one JSON object per line")
    a.add_argument("--lang", default="vi", choices=["vi", "en"], help="language when a question does not tell")
    a.add_argument(
        "--explain",
        action="store_true",
        help="with --json: add the decision's features, their weights and the threshold",
    )

    e = sub.add_parser("eval", help="accuracy on a held-out question set (tests/dev, or tests/sealed)")
    e.add_argument(
        "--set",
        dest="question_set",
        choices=["dev", "sealed"],
        default="dev",
        help="dev: the tuning set (tests/dev/); sealed: the set nothing is tuned on (tests/sealed/)",
    )
    e.add_argument("--questions", type=Path, help="a question file or folder instead of --set")
    e.add_argument(
        "--dialogues",
        action="store_true",
        help="score multi-turn dialogues (follow-ups, topic switches, corrections) from tests/dialogues/",
    )
    e.add_argument("--failures", action="store_true", help="list every miss")
    e.add_argument("--json", action="store_true", help="print the figures as JSON")

    kb = sub.add_parser("kb", help="knowledge base tools: check, build, export, calibrate")
    kbs = kb.add_subparsers(dest="kb_command", required=True, metavar="KB_COMMAND")
    kbs.add_parser("check", help="validate knowledge/")
    kbs.add_parser("build", help="compile knowledge/ into the SQLite store")
    ex = kbs.add_parser("export", help="print every entry")
    ex.add_argument("--json", action="store_true", required=True, help='print {"entries": [...]}')
    cal = kbs.add_parser("calibrate", help="fit the confidence and write knowledge/calibration.yaml")
    cal.add_argument(
        "--max-wrong", type=float, help="share of generated questions allowed a wrong answer (default 0.03)"
    )
    cal.add_argument(
        "--min-rejection", type=float, help="share of generated near misses that must be refused (default 0.97)"
    )

    co = sub.add_parser("commune", help="the commune's local details: export")
    cos = co.add_subparsers(dest="commune_command", required=True, metavar="COMMUNE_COMMAND")
    cos.add_parser(
        "export", help="print the effective local details (commune.yaml with the officers' /caidat values) as JSON"
    )
    w = sub.add_parser("web", help="serve the tourism guide and map alone (no token needed)")
    w.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    w.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    sub.add_parser("run", help="start the Telegram bot (TELEGRAM_BOT_TOKEN from the environment or .env)")

    h = sub.add_parser("health", help="exit 0 when the running bot talked to Telegram recently (for HEALTHCHECK)")
    h.add_argument("--max-age", type=float, default=120.0, help="seconds since the last heartbeat (default 120)")

    b = sub.add_parser("backup", help="an online backup of the database, safe while the bot runs")
    b.add_argument("path", type=Path, help="the backup file to write")

    q = sub.add_parser("qr", help="printable QR posters that open the bot on an entry")
    what = q.add_mutually_exclusive_group(required=True)
    what.add_argument("entry", nargs="?", help="one entry id, e.g. ocop.mien-dong")
    what.add_argument("--all", metavar="DIR", type=Path, help="write one PNG per entry into DIR")
    q.add_argument("--out", type=Path, help="the PNG to write for one entry (default qr-<id>.png)")
    q.add_argument(
        "--bot-username",
        default=None,
        help="the bot's @username (default BOT_USERNAME); the QR codes link to t.me/<it>",
    )
    return p


def _settings(args: argparse.Namespace) -> Settings:
    return args.settings


def _knowledge(args: argparse.Namespace) -> Path:
    return args.knowledge or _settings(args).knowledge_dir


def _data(args: argparse.Namespace) -> Path:
    return args.data_dir or _settings(args).data_dir


def _learned(args: argparse.Namespace) -> Path:
    """The learned questions officers attached through the bot (in the data folder)."""
    from bot.services.learned import LEARNED_FILE

    return _data(args) / LEARNED_FILE


def cmd_kb_check(args: argparse.Namespace) -> int:
    from bot.knowledge.loader import load

    kb = load(_knowledge(args), _learned(args))
    for problem in kb.problems:
        print(problem, file=sys.stderr)
    if kb.problems:
        print(f"{len(kb.problems)} problem(s) in {_knowledge(args)}", file=sys.stderr)
        return 1
    officers = _officers_values(args, kb.commune)
    if isinstance(officers, str):
        print(f"{_data(args)}: officers' local details: {officers}", file=sys.stderr)
        return 1
    counts = Counter(e.category for e in kb.entries)
    learned = sum(len(q) for langs in kb.learned.values() for q in langs.values())
    print(
        f"ok: {len(kb.entries)} entries ("
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        + f"), {learned} learned question(s)"
    )
    return 0


def _officers_values(args: argparse.Namespace, baseline: Commune) -> Commune | str:
    """commune.yaml with the officers' values (set with /caidat) over it, or what is wrong with them.
    Without a database in the data folder, commune.yaml alone."""
    from pydantic import ValidationError

    from bot.services.local_details import LocalDetails
    from bot.storage.db import DB_FILE, connect

    path = _data(args) / DB_FILE
    if not path.exists():
        return baseline
    try:
        return LocalDetails(connect(path), baseline).effective()
    except ValidationError as exc:
        first = exc.errors()[0]
        return f"{'.'.join(str(x) for x in first['loc']) or 'value'}: {first['msg']}"


def cmd_commune_export(args: argparse.Namespace) -> int:
    from bot.knowledge.loader import load_or_raise

    kb = load_or_raise(_knowledge(args))
    effective = _officers_values(args, kb.commune)
    if isinstance(effective, str):
        print(f"commune export: {effective}", file=sys.stderr)
        return 1
    json.dump(effective.model_dump(mode="json"), sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0


def cmd_kb_build(args: argparse.Namespace) -> int:
    from bot.engine.snapshot import Stats, open_index
    from bot.knowledge.loader import entry_digests, fingerprints, load_or_raise
    from bot.knowledge.store import build
    from bot.storage.db import DB_FILE, connect

    root = _knowledge(args)
    kb = load_or_raise(root, _learned(args))
    path = _data(args) / DB_FILE
    db = connect(path)
    current, folder = fingerprints(root, _learned(args))
    build(db, kb, current, entry_digests(root), folder=folder)
    stats = Stats()
    open_index(kb, db, stats, current)
    print(f"built {path}: {len(kb.entries)} entries; index: {stats.analysed} analysed, {stats.reused} unchanged")
    return 0


def cmd_kb_export(args: argparse.Namespace) -> int:
    from bot.knowledge.loader import load_or_raise

    kb = load_or_raise(_knowledge(args), _learned(args))
    entries = []
    for e in kb.entries:
        data = e.model_dump(mode="json")
        if e.id in kb.learned:
            data["learned_questions"] = kb.learned[e.id]
        entries.append(data)
    commune = _officers_values(args, kb.commune)
    if isinstance(commune, str):
        print(f"kb export: {commune}", file=sys.stderr)
        return 1
    json.dump(
        {"entries": entries, "commune": commune.model_dump(mode="json")}, sys.stdout, ensure_ascii=False, indent=1
    )
    print()
    return 0


def cmd_kb_calibrate(args: argparse.Namespace) -> int:
    import yaml

    from bot.engine.calibrate import MAX_WRONG, MIN_REJECTION, calibrate, log_loss, reliability, summary
    from bot.knowledge.loader import CALIBRATION_FILE, load_or_raise

    root = _knowledge(args)
    kb = load_or_raise(root)
    max_wrong = MAX_WRONG if args.max_wrong is None else args.max_wrong
    min_rejection = MIN_REJECTION if args.min_rejection is None else args.min_rejection
    cal, samples = calibrate(kb, max_wrong=max_wrong, min_rejection=min_rejection)
    header = (
        "# Written by `python -m bot kb calibrate` — do not edit by hand; re-run it after editing knowledge/.\n"
        "# The decision to answer: a logistic model over the matcher's features (bot/engine/matcher.py),\n"
        "# fitted on questions generated from the knowledge base's own (held out in folds, wrapped in the\n"
        "# context of training.yaml, unaccented, abbreviated, misspelled; removed entries and subject swaps as\n"
        "# negatives). No evaluation question is used.\n"
    )
    body = {
        "params": cal.as_params(),
        "fitted_on": {
            "samples": len(samples),
            "right": sum(s.right for s in samples),
            "near_misses": sum(s.kind == "near-miss" for s in samples),
            "max_wrong": max_wrong,
            "min_rejection": min_rejection,
        },
    }
    (root / CALIBRATION_FILE).write_text(header + yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    print(f"{len(samples)} samples, log loss {log_loss(samples, cal):.3f}; threshold {cal.threshold}")
    print("weights: " + ", ".join(f"{k} {v:+.2f}" for k, v in cal.weights.items()) + f", bias {cal.bias:+.2f}")
    for mean, share, n in reliability(samples, cal):
        print(f"  confidence ~{mean:.2f}: right {share:.2f} of {n}")
    for key, row in summary(samples, cal).items():
        print(f"  {key:<24} n={int(row['n']):>5}  answered {row['answered']:.3f}  right {row['right']:.3f}")
    return 0


def _question_line(line: str) -> tuple[str, str | None]:
    """A line of `ask --json` input: plain text is a question; a JSON object may add the entry
    answered before it, {"question": "còn lệ phí?", "context": "service.birth-registration"}."""
    if line.lstrip().startswith("{"):
        try:
            data = json.loads(line)
        except ValueError:
            return line, None
        if isinstance(data, dict) and isinstance(data.get("question"), str):
            context = data.get("context")
            return data["question"], context if isinstance(context, str) else None
    return line, None


def cmd_ask(args: argparse.Namespace) -> int:
    from bot.app import Core
    from bot.engine.compose import render_plain
    from bot.engine.engine import Status
    from bot.engine.replies import status_text

    core = Core.open(_knowledge(args), _data(args))

    def reply(question: str, context: str | None = None) -> tuple[dict[str, object], str]:
        result = core.engine.ask(question, args.lang, context=context)
        row = result.to_dict()
        if args.explain:
            row["explain"] = result.explain(core.engine.calibration.threshold)
        answer = (
            core.answer(result.entry_id, result.lang, result.field)
            if result.status is Status.ANSWER and result.entry_id
            else None
        )
        text = render_plain(answer, result.lang) if answer else status_text(result.status, result.lang)
        row["answer"] = render_plain(answer, result.lang) if answer else None
        if result.status is Status.SUGGEST:
            text += "\n" + "\n".join(f"  - {core.title(s, result.lang)}" for s in result.suggestions)
        return row, text

    if args.json:
        for line in sys.stdin:
            question, previous = _question_line(line.rstrip("\n"))
            row, _ = reply(question, previous)
            print(json.dumps(row, ensure_ascii=False), flush=True)
        return 0
    if args.question is None:
        print("ask: give a question, or --json to read questions from stdin", file=sys.stderr)
        return 2
    print(reply(args.question)[1])
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.app import Core, settle
    from bot.channels.console import run

    core = Core.open(_knowledge(args), _data(args))
    settle()
    return run(core, args.lang)


def cmd_eval(args: argparse.Namespace) -> int:
    from bot.engine.engine import Engine
    from bot.engine.matcher import Calibration
    from bot.evaluation import evaluate, load_questions, render
    from bot.knowledge.loader import load_or_raise

    kb = load_or_raise(_knowledge(args))
    engine = Engine(kb, Calibration.from_params(kb.calibration))
    if args.dialogues:
        return _eval_dialogues(engine, args)
    path = args.questions or PACKAGE_ROOT / "tests" / args.question_set
    if not path.exists():
        print(f"eval: no question set at {path}", file=sys.stderr)
        return 2
    report = evaluate(engine, load_questions(path))
    if args.json:
        print(json.dumps(report.figures(), indent=1))
    else:
        print(render(report, show_failures=args.failures))
    return 0


def _eval_dialogues(engine: Engine, args: argparse.Namespace) -> int:
    from bot.evaluation_dialogues import evaluate_dialogues, load_dialogues, render_dialogues

    path = args.questions or PACKAGE_ROOT / "tests" / "dialogues"
    if not path.exists():
        print(f"eval: no dialogue set at {path}", file=sys.stderr)
        return 2
    report = evaluate_dialogues(engine, load_dialogues(path))
    if args.json:
        print(json.dumps(report.figures(), indent=1))
    else:
        print(render_dialogues(report, show_failures=args.failures))
    return 0


def cmd_qr(args: argparse.Namespace) -> int:
    from bot.knowledge.loader import load_or_raise
    from bot.services import qr
    from bot.services.links import payload_for

    args.bot_username = args.bot_username or _settings(args).bot_username
    if not args.bot_username:
        print(
            "qr: give the bot's username with --bot-username or BOT_USERNAME (as @BotFather shows it)", file=sys.stderr
        )
        return 2
    kb = load_or_raise(_knowledge(args))
    by_id = kb.by_id()
    if args.entry is not None and args.entry not in by_id:
        print(f"qr: no entry {args.entry!r}; `python -m bot kb export --json` lists them", file=sys.stderr)
        return 2
    # a poster is for a subject people ask about: greetings, thanks and help are not worth a wall
    entries = [by_id[args.entry]] if args.entry else [e for e in kb.entries if e.category != "meta"]
    folder = args.all
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    for entry in entries:
        path = folder / f"{entry.id}.png" if folder is not None else (args.out or Path(f"qr-{entry.id}.png"))
        url = qr.deep_link(args.bot_username, payload_for(entry.id))
        path.write_bytes(qr.poster(url, entry.title.vi, args.bot_username))
    print(f"wrote {len(entries)} QR poster(s)" + (f" to {folder}" if folder else f": {path}"))
    return 0


def cmd_web(args: argparse.Namespace) -> int:
    import asyncio

    from bot.app import Core
    from bot.web.server import make_app, start

    settings = _settings(args)
    core = Core.open(_knowledge(args), _data(args))
    app = make_app(core, settings.bot_username)

    async def serve() -> None:
        runner = await start(app, args.host, args.port)
        print(f"the guide: http://{args.host}:{args.port}/  (map: /map, JSON: /api/guide.json); Ctrl+C stops")
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C: a clean stop, no traceback
        asyncio.run(serve())
    return 0


def cmd_health(args: argparse.Namespace) -> int:
    from bot.services.heartbeat import age

    seconds = age(_data(args))
    if seconds is None:
        print("unhealthy: no heartbeat yet (the bot has not talked to Telegram)", file=sys.stderr)
        return 1
    if seconds > args.max_age:
        print(f"unhealthy: last heartbeat {seconds:.0f}s ago", file=sys.stderr)
        return 1
    print(f"healthy: last heartbeat {seconds:.0f}s ago")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from bot.storage.db import DB_FILE, backup

    source = _data(args) / DB_FILE
    if not source.is_file():
        print(f"backup: no database at {source}", file=sys.stderr)
        return 2
    pages = backup(source, args.path)
    print(f"backed up {source} to {args.path} ({pages} pages)")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from bot.channels.telegram.main import run

    return run(_settings(args), knowledge=_knowledge(args), data_dir=_data(args))


COMMANDS = {
    "chat": cmd_chat,
    "ask": cmd_ask,
    "eval": cmd_eval,
    "run": cmd_run,
    "web": cmd_web,
    "qr": cmd_qr,
    "health": cmd_health,
    "backup": cmd_backup,
    ("kb", "check"): cmd_kb_check,
    ("kb", "build"): cmd_kb_build,
    ("kb", "export"): cmd_kb_export,
    ("commune", "export"): cmd_commune_export,
    ("kb", "calibrate"): cmd_kb_calibrate,
}


def main(argv: list[str] | None = None) -> int:
    from bot.knowledge.loader import KnowledgeError
    from bot.storage.db import DatabaseProblem

    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    key = {"kb": ("kb", getattr(args, "kb_command", None)), "commune": ("commune", "export")}.get(
        args.command, args.command
    )
    try:
        from bot.settings import load

        args.settings = load()  # every command: the environment over .env, validated once
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        return COMMANDS[key](args)
    except KnowledgeError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(
            f"{len(exc.problems)} problem(s) in the knowledge base; run `python -m bot kb check`",
            file=sys.stderr,
        )
        return 1
    except DatabaseProblem as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the console never sees a traceback unless --debug
        if args.debug:
            raise
        print(f"error: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 2
