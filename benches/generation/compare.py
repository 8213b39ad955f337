"""`souk new` against cookiecutter and copier as whole processes, on the same files.

rust-cli and the demo packs it depends on are laid out as one cookiecutter template and one
copier template with the same answers; each tool generates the project ROUNDS times,
interleaved, and every output must equal Souk's byte for byte (Souk's own record folder
aside). Souk runs from its cache (`--offline`) after one run through a relay it starts.

    python3 compare.py SOUK_BINARY WORK_DIR     # cookiecutter and copier on PATH
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

DEMO = os.path.join(os.path.dirname(__file__), "..", "..", "registry", "demo")
# rust-cli's packs, dependencies first (what `souk new rust-cli` renders).
PACKS = ["rust-ci", "editorconfig", "gitignore-rust", "license-apache", "license-mit", "license-mit-apache", "rust-cli"]
ANSWERS = {"name": "hello-cli", "description": "A command-line tool called hello-cli", "author": "A. Author", "year": "2026"}
ROUNDS = 7


def layout(work):
    files = {}
    for pack in PACKS:
        root = os.path.join(DEMO, pack)
        for folder, _, names in os.walk(root):
            for name in names:
                path = os.path.relpath(os.path.join(folder, name), root)
                if path != "souk.toml":
                    files[path] = open(os.path.join(folder, name), encoding="utf-8").read()
    cc = os.path.join(work, "cookiecutter")
    cp = os.path.join(work, "copier")
    for path, text in files.items():
        verbatim = path.startswith(".github/workflows/")
        for dest, body in [
            (os.path.join(cc, "{{cookiecutter.name}}", path),
             text if verbatim else re.sub(r"\{\{\s*(\w+)\s*\}\}", r"{{cookiecutter.\1}}", text)),
            (os.path.join(cp, path if verbatim else path + ".jinja"), text),
        ]:
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            open(dest, "w", encoding="utf-8").write(body)
    json.dump({**ANSWERS, "_copy_without_render": [".github/workflows/*"]}, open(os.path.join(cc, "cookiecutter.json"), "w"))
    with open(os.path.join(cp, "copier.yml"), "w") as f:
        for key, value in ANSWERS.items():
            f.write(f'{key}:\n  type: str\n  default: "{value}"\n')
    return cc, cp


def timed(args, env=None):
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, env=env)
    return (time.perf_counter() - start) * 1000


def tree(folder):
    out = {}
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if d != ".souk"]
        for name in names:
            path = os.path.join(root, name)
            out[os.path.relpath(path, folder)] = open(path, "rb").read()
    return out


def main():
    souk, work = sys.argv[1], os.path.abspath(sys.argv[2])
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    cc, cp = layout(work)
    env = {**os.environ, "SOUK_HOME": os.path.join(work, "home")}
    relay = subprocess.Popen([souk, "relay", "--data", os.path.join(work, "relay"), "--http", "127.0.0.1:0",
                              "--listen", "/ip4/127.0.0.1/tcp/0"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        http = next(line.strip() for line in relay.stdout if line.startswith("http://"))
        next(line for line in relay.stdout if line.strip() == "ready")
        given = [f"--set={k}={v}" for k, v in ANSWERS.items()]
        subprocess.run([souk, "new", "rust-cli", os.path.join(work, "first"), "--defaults", *given,
                        f"--bootstrap={http}/bootstrap"], check=True, capture_output=True, env=env)
    finally:
        relay.terminate()
        relay.wait()
    times = {"souk new --offline": [], "cookiecutter": [], "copier": []}
    for round in range(ROUNDS):
        out = os.path.join(work, f"round-{round}")
        times["souk new --offline"].append(timed(
            [souk, "new", "rust-cli", os.path.join(out, "souk"), "--defaults", "--offline", *given], env))
        times["cookiecutter"].append(timed(["cookiecutter", "--no-input", "-o", os.path.join(out, "cc"), cc]))
        times["copier"].append(timed(["copier", "copy", "--defaults", "--trust", "--quiet", cp, os.path.join(out, "cp")]))
        ours = tree(os.path.join(out, "souk"))
        for other in [os.path.join(out, "cc", "hello-cli"), os.path.join(out, "cp")]:
            assert tree(other) == ours, f"{other} differs from souk's output"
    souk_ms = statistics.median(times["souk new --offline"])
    print("| tool, rust-cli and its 6 packs (9 files) | median ms | min ms | x souk |")
    print("|---|---|---|---|")
    for tool, ms in times.items():
        print(f"| {tool} | {statistics.median(ms):.0f} | {min(ms):.0f} | {statistics.median(ms) / souk_ms:.1f}x |")


main()
