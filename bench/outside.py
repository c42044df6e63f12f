#!/usr/bin/env python3
"""Measure the server from outside, as a user would: its own process (the Release build the README runs), a seeded
database (`orgstack seed`), the bare baselines in another process (`Orgstack.Bench --serve-bare`) and wrk as the load
generator. Same measurements and targets as bench/Orgstack.Bench, reported as ratios of alternating wrk runs.

    python3 bench/outside.py [--members 1000000] [--data-dir /tmp/orgstack-outside] [--seconds 5] [--connections 16]
                             [--rounds 3] [--no-build] [--out bench/results/outside-<stamp>.json]

Needs wrk (apt-get install wrk). The seeded database is reused by later runs (--fresh seeds again).
"""
import argparse
import datetime
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI_DLL = os.path.join(ROOT, "src/Orgstack.Cli/bin/Release/net10.0/orgstack.dll")
BENCH_DLL = os.path.join(ROOT, "bench/Orgstack.Bench/bin/Release/net10.0/Orgstack.Bench.dll")
INVITE_DOMAIN = "outside.example.com"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--members", type=int, default=1_000_000)
    p.add_argument("--data-dir", default="/tmp/orgstack-outside")
    p.add_argument("--seconds", type=int, default=5)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--api-port", type=int, default=5090)
    p.add_argument("--bare-port", type=int, default=5091)
    p.add_argument("--configuration", default="Release", help="the server's build (the bare baselines are always Release)")
    p.add_argument("--no-build", action="store_true")
    p.add_argument("--fresh", action="store_true")
    p.add_argument("--only", help="comma-separated subset: page,deep,org,roles,latency,export,invite,signin")
    p.add_argument("--out")
    a = p.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("error: wrk is not installed (apt-get install wrk)")

    if not a.no_build:
        for project in ("src/Orgstack.Cli", "bench/Orgstack.Bench"):
            run(["dotnet", "build", "-c", "Release", "--nologo", "-v", "q", os.path.join(ROOT, project)])
        run(["dotnet", "build", "-c", a.configuration, "--nologo", "-v", "q", os.path.join(ROOT, "src/Orgstack.Server")])
    server_dll = os.path.join(ROOT, f"src/Orgstack.Server/bin/{a.configuration}/net10.0/Orgstack.Server.dll")

    data = os.path.abspath(os.path.join(a.data_dir, str(a.members)))
    if a.fresh and os.path.isdir(data):
        shutil.rmtree(data)
    os.makedirs(data, exist_ok=True)
    seed_file = os.path.join(data, "seed.txt")
    if not os.path.exists(seed_file):
        print(f"seeding {a.members:,} members into {data} ...", flush=True)
        out = run(["dotnet", CLI_DLL, "seed", "--members", str(a.members), "--data-dir", data], capture=True)
        with open(seed_file, "w") as f:
            f.write(out)
    seed_text = open(seed_file).read()
    print(seed_text.strip())
    org = re.search(r"\((blt[0-9a-f]+)\)", seed_text).group(1)
    email, password = re.search(r"Owner: (\S+) / (\S+)", seed_text).groups()
    db = os.path.join(data, "orgstack.db")
    remove_invitations(db)

    api = f"http://127.0.0.1:{a.api_port}"
    bare = f"http://127.0.0.1:{a.bare_port}"
    # Rate limits apply to sign-in and password resets only; the sign-in measurement signs one account in hundreds of
    # times a minute, which they would (rightly) refuse.
    env = dict(os.environ, Orgstack__DataDirectory=data, DOTNET_ENVIRONMENT="Production", Orgstack__RateLimits__Enabled="false")
    server = subprocess.Popen(["dotnet", server_dll, "--urls", api], env=env, stdout=open(os.path.join(data, "server.log"), "w"),
                              stderr=subprocess.STDOUT)
    baseline = subprocess.Popen(["dotnet", BENCH_DLL, "--serve-bare", db, "--urls", bare], stdout=subprocess.DEVNULL)
    report = {"measured_at": datetime.datetime.now(datetime.timezone.utc).isoformat(), "members": a.members,
              "cores": os.cpu_count(), "server_build": a.configuration, "connections": a.connections, "seconds": a.seconds, "rounds": a.rounds,
              "load_generator": subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0:1]}
    failures = []
    try:
        wait_for(api + "/v3/user", accept=(401, 200))
        wait_for(bare + "/noop")
        login = post_json(api + "/v3/user-session", {"user": {"email": email, "password": password}})
        token = login["user"]["authtoken"]
        auth = {"authtoken": token}
        page = f"/v3/organizations/{org}/share?limit=100&desc=last_login_at"
        key, uid = deep_key(db, org, a.members // 2)
        cursor = get_json(api + page + f"&skip={max(0, a.members // 2 - 100)}", auth)["next_cursor"]
        deep_api = page + "&cursor=" + urllib.parse.quote(cursor, safe="")
        deep_bare = f"/users/{org}?key={'' if key is None else key}&uid={uid}"

        print(f"warming up ({a.seconds} s per path) ...", flush=True)
        for url, headers in ((api + f"/v3/organizations/{org}", auth), (api + f"/v3/organizations/{org}/roles", auth),
                             (api + page, auth), (api + deep_api, auth), (bare + "/noop", {}), (bare + f"/users/{org}", {}),
                             (bare + deep_bare, {})):
            wrk(url, headers, a.connections, a.seconds)

        print(f"\n{'measurement':34} {'server rps':>10} {'bare rps':>10} {'ratio':>6} {'p50 ms':>7} {'p99 ms':>7}  target")
        pairs = [
            ("users_first_page", "users page (first)", api + page, bare + f"/users/{org}", 0.80),
            ("users_deep_page", f"users page (row {a.members // 2:,})", api + deep_api, bare + deep_bare, 0.80),
            ("get_organization", "GET organization", api + f"/v3/organizations/{org}", bare + "/noop", 0.60),
            ("get_roles", "GET roles", api + f"/v3/organizations/{org}/roles", bare + "/noop", 0.60),
        ]
        want = (lambda k: True) if not a.only else (lambda k: k in a.only.split(","))
        pairs = [p_ for p_, k in zip(pairs, ("page", "deep", "org", "roles")) if want(k)]
        for name, label, server_url, bare_url, target in pairs:
            r = pair(server_url, auth, bare_url, a.connections, a.seconds, a.rounds)
            r["target_ratio"] = target
            report[name] = r
            ok = r["ratio"] >= target
            if not ok:
                failures.append(f"{label}: {r['ratio']:.2f} < {target}")
            print(f"{label:34} {r['api_rps']:>10,.0f} {r['bare_rps']:>10,.0f} {r['ratio']:>6.2f} {r['api_p50_ms']:>7.2f} {r['api_p99_ms']:>7.2f}  ≥ {target} {'met' if ok else 'MISSED'}", flush=True)

        for name, label, url in (("users_first_page", "users page (first)", api + page), ("users_deep_page", "users page (deep)", api + deep_api)):
            if not want("latency"):
                break
            lat = wrk(url, auth, 2, a.seconds)
            report.setdefault(name, {})["two_connections"] = lat
            ok = lat["p99_ms"] < 10
            if not ok:
                failures.append(f"{label}: p99 {lat['p99_ms']} ms with 2 connections")
            print(f"{label + ', 2 connections':34} {lat['rps']:>10,.0f} {'':>10} {'':>6} {lat['p50_ms']:>7.2f} {lat['p99_ms']:>7.2f}  p99 < 10 ms {'met' if ok else 'MISSED'}", flush=True)
        if want("latency"):
            deep_vs_first = report["users_deep_page"]["two_connections"]["p50_ms"] / report["users_first_page"]["two_connections"]["p50_ms"]
            report["users_deep_vs_first_p50"] = round(deep_vs_first, 2)
            print(f"{'deep page p50 / first page p50':34} {deep_vs_first:>10.2f}")

        if want("export"):
            export_api = stream(api + f"/v3/organizations/{org}/users/export.csv", auth, server.pid)
            export_bare = stream(bare + f"/export/{org}", {}, baseline.pid)
            ratio = export_api["seconds"] / export_bare["seconds"]
            report["export"] = {"api": export_api, "bare": export_bare, "time_ratio": round(ratio, 3)}
            ok = ratio <= 1.3 and export_api["first_byte_ms"] < 100 and export_api["peak_rss_growth_mb"] < 150
            if not ok:
                failures.append(f"export: {ratio:.2f} x time, first byte {export_api['first_byte_ms']} ms, +{export_api['peak_rss_growth_mb']} MB")
            print(f"{'CSV export, ' + format(export_api['lines'] - 1, ',') + ' rows':34} {export_api['seconds']:>9.2f}s {export_bare['seconds']:>9.2f}s {ratio:>6.2f}"
                  f"  first byte {export_api['first_byte_ms']:.0f} ms, peak RSS +{export_api['peak_rss_growth_mb']:.0f} MB  ≤ 1.3 x, < 100 ms, < 150 MB {'met' if ok else 'MISSED'}", flush=True)

        if want("invite"):
            roles = get_json(api + f"/v3/organizations/{org}/roles", auth)["roles"]
            member_role = next(r["uid"] for r in roles if r["name"].lower() == "member")
            emails = [f"person{i}@{INVITE_DOMAIN}" for i in range(10_000)]
            started = time.perf_counter()
            status, body = request("POST", api + f"/v3/organizations/{org}/share", auth,
                                   {"share": {"users": {e: [member_role] for e in emails}, "message": "Welcome"}})
            seconds = time.perf_counter() - started
            queued = count(db, f"SELECT count(*) FROM outbox_messages WHERE to_address LIKE '%@{INVITE_DOMAIN}'")
            report["bulk_invite"] = {"status": status, "seconds": round(seconds, 2), "mails_queued": queued}
            ok = status == 200 and seconds < 5 and queued == 10_000
            if not ok:
                failures.append(f"bulk invite: {status} in {seconds:.2f} s, {queued} mails queued ({body[:200]!r})")
            print(f"{'bulk invite, 10,000 addresses':34} {seconds:>9.2f}s  status {status}, {queued:,} mails queued  < 5 s {'met' if ok else 'MISSED'}", flush=True)
        if want("signin"):
            # Sign-in against the raw hash rate: 15 s of unmeasured sign-ins first (the JIT is still compiling the path in
            # the first half minute), then alternating runs as for the reads.
            body = json.dumps({"user": {"email": email, "password": password}})
            script = os.path.join(data, "signin.lua")
            with open(script, "w") as f:
                f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[' + body + ']]\n')
            signin_url, hash_url = api + "/v3/user-session", bare + "/hash"
            wrk(signin_url, {}, 8, 15, script)
            wrk(hash_url, {}, 8, 5, script)
            r = pair(signin_url, {}, hash_url, 8, max(a.seconds, 10), a.rounds, script)
            r["target_ratio"] = 0.90
            report["sign_in"] = r
            ok = r["ratio"] >= 0.90
            if not ok:
                failures.append(f"sign-in: {r['ratio']:.2f} < 0.90")
            print(f"{'sign-in (8 connections)':34} {r['api_rps']:>10,.1f} {r['bare_rps']:>10,.1f} {r['ratio']:>6.2f} {r['api_p50_ms']:>7.0f} {r['api_p99_ms']:>7.0f}  ≥ 0.9 {'met' if ok else 'MISSED'}", flush=True)
    finally:
        for process in (server, baseline):
            process.send_signal(signal.SIGTERM)
        for process in (server, baseline):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        remove_invitations(db)

    report["targets_missed"] = failures
    print("All targets met." if not failures else "Targets missed:\n  " + "\n  ".join(failures))
    out = a.out or os.path.join(ROOT, "bench/results", "outside-" + datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S") + ".json")
    with open(out, "w") as f:
        json.dump(report, f, indent=2)
    print(f"Written to {out}")
    return 0 if not failures else 1


def pair(server_url, headers, bare_url, connections, seconds, rounds, script=None):
    """Alternating wrk runs (baseline, server) so that load from elsewhere hits both alike; ratio of summed rates."""
    api_runs, bare_runs = [], []
    for _ in range(rounds):
        bare_runs.append(wrk(bare_url, {}, connections, seconds, script))
        api_runs.append(wrk(server_url, headers, connections, seconds, script))
    api_rps = sum(r["rps"] for r in api_runs) / rounds
    bare_rps = sum(r["rps"] for r in bare_runs) / rounds
    return {"api_rps": round(api_rps, 1), "bare_rps": round(bare_rps, 1), "ratio": round(api_rps / bare_rps, 3),
            "api_p50_ms": median(r["p50_ms"] for r in api_runs), "api_p99_ms": median(r["p99_ms"] for r in api_runs),
            "api_runs": api_runs, "bare_runs": bare_runs}


def wrk(url, headers, connections, seconds, script=None):
    args = ["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{seconds}s", "--latency", "--timeout", "10s"]
    if script:
        args += ["-s", script]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    out = run(args + [url], capture=True)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    if errors or socket_errors:
        raise SystemExit(f"error: {url} answered errors under load:\n{out}")
    return {"rps": rps, "p50_ms": latency(out, "50%"), "p99_ms": latency(out, "99%")}


def latency(out, percentile):
    value, unit = re.search(rf"^\s+{re.escape(percentile)}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
    return round(float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit], 3)


def stream(url, headers, pid):
    """Time a whole download and its first byte; sample the serving process's resident memory while it runs."""
    before = rss_mb(pid)
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    req = urllib.request.Request(url, headers=headers)
    started = time.perf_counter()
    lines = 0
    with urllib.request.urlopen(req, timeout=600) as response:
        first = response.read(1)
        first_byte = time.perf_counter() - started
        size = len(first)
        while chunk := response.read(1 << 16):
            size += len(chunk)
            lines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return {"seconds": round(seconds, 3), "first_byte_ms": round(first_byte * 1000, 1), "bytes": size, "lines": lines,
            "peak_rss_growth_mb": round(peak[0] - before, 1)}


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def deep_key(db, org, row):
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
        return c.execute("SELECT last_login_at, uid FROM memberships WHERE organization_uid = ? ORDER BY last_login_at DESC, uid DESC "
                         "LIMIT 1 OFFSET ?", (org, max(0, row - 1))).fetchone()


def count(db, sql):
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
        return c.execute(sql).fetchone()[0]


def remove_invitations(db):
    """This script's invitations, tokens and mails, so the organization stays the size it was seeded as."""
    if not os.path.exists(db):
        return
    c = sqlite3.connect(db, timeout=60)
    with c:
        like = f"%@{INVITE_DOMAIN}"
        c.execute("DELETE FROM outbox_messages WHERE to_address LIKE ?", (like,))
        c.execute("DELETE FROM action_tokens WHERE email LIKE ?", (like,))
        c.execute("DELETE FROM memberships WHERE email LIKE ?", (like,))
    c.close()


def request(method, url, headers, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={**headers, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def get_json(url, headers):
    status, body = request("GET", url, headers)
    if status != 200:
        raise SystemExit(f"error: GET {url}: {status} {body[:300]}")
    return json.loads(body)


def post_json(url, body):
    status, text = request("POST", url, {}, body)
    if status != 200:
        raise SystemExit(f"error: POST {url}: {status} {text[:300]}")
    return json.loads(text)


def wait_for(url, accept=(200,)):
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status in accept:
                    return
        except urllib.error.HTTPError as e:
            if e.code in accept:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"error: {url} did not answer within 120 s")


def median(values):
    v = sorted(values)
    return v[len(v) // 2]


def run(args, capture=False):
    r = subprocess.run(args, capture_output=capture, text=True)
    if r.returncode != 0:
        raise SystemExit(f"error: {' '.join(args[:4])} … exited {r.returncode}\n{r.stdout if capture else ''}{r.stderr if capture else ''}")
    return r.stdout if capture else ""


if __name__ == "__main__":
    sys.exit(main())
