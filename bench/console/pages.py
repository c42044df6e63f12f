#!/usr/bin/env python3
"""Server time of console pages on a seeded organization, read from the Server-Timing header (the figure the
browser's navigation timing shows). Usage:

  dotnet run --project src/Orgstack.Cli -c Release -- seed --members 100000 --data-dir /tmp/c100k --owner-email owner@c100k.test
  ASPNETCORE_URLS=http://127.0.0.1:5391 Orgstack__DataDirectory=/tmp/c100k Orgstack__PublicBaseUrl=http://127.0.0.1:5391 \
      dotnet src/Orgstack.Server/bin/Release/net10.0/Orgstack.Server.dll &
  python3 bench/console/pages.py --base http://127.0.0.1:5391 --email owner@c100k.test

Each page is requested --repeat times (default 5); the median server time is printed. --deep N follows "Next" N times
in several orders and measures the page reached.
"""
import argparse, html, http.cookiejar, re, statistics, urllib.error, urllib.parse, urllib.request

PAGES = ["", "/users", "/users?sort=email", "/users?sort=email&dir=desc", "/users?sort=role", "/users?sort=role&dir=desc",
         "/users?sort=status", "/users?sort=status&dir=desc", "/users?sort=last_login", "/users?sort=last_login&dir=asc",
         "/users?sort=name&dir=desc", "/users?size=100", "/users?q=lovelace", "/users?q=no-such-person",
         "/users?q=no-such-person&sort=email", "/users?q=no-such-person&sort=last_login", "/users?role=admin",
         "/users?role=member&sort=email", "/users?status=pending", "/users?status=pending&sort=last_login",
         "/users/invite", "/stacks", "/organization", "/plan", "/audit-log"]
DEEP = ["/users", "/users?sort=email", "/users?sort=last_login", "/users?sort=role", "/users?sort=status&dir=desc", "/users?q=ada"]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="http://127.0.0.1:5391")
    ap.add_argument("--email", required=True)
    ap.add_argument("--password", default="Correct-Horse-Battery-9")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--deep", type=int, default=20)
    a = ap.parse_args()
    jar = http.cookiejar.CookieJar()
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs): return None
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)

    def get(path):
        try:
            r = opener.open(a.base + path); return r.status, r.read().decode(), r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), e.headers

    def server_ms(headers):
        m = re.search(r"dur=([0-9.]+)", headers.get("Server-Timing", "") or "")
        return float(m.group(1)) if m else float("nan")

    _, body, _ = get("/sign-in")
    csrf = re.search(r'name="__csrf" type="hidden" value="([^"]+)"', body).group(1)
    data = urllib.parse.urlencode({"Email": a.email, "Password": a.password, "__csrf": csrf}).encode()
    try: opener.open(a.base + "/sign-in", data)
    except urllib.error.HTTPError: pass
    _, body, headers = get("/")
    org = re.search(r"/o/(blt[0-9a-f]+)", (body or "") + (headers.get("Location") or "")).group(1)
    print(f"organization {org}")
    for page in PAGES:
        times = []
        for _ in range(a.repeat):
            status, _, h = get(f"/o/{org}{page}"); times.append(server_ms(h))
        print(f"{status} {page or '/ (home)':48s} server median {statistics.median(times):7.1f} ms")
    for page in DEEP:
        url, hops = f"/o/{org}{page}", 0
        for hops in range(1, a.deep + 1):
            _, body, _ = get(url)
            n = re.search(r'href="([^"]*after=[^"]*)" rel="next"', body)
            if not n: break
            url = html.unescape(n.group(1))
        times = [server_ms(get(url)[2]) for _ in range(a.repeat)]
        print(f"deep {page:42s} page {hops + 1:4d}  server median {statistics.median(times):7.1f} ms")

if __name__ == "__main__":
    main()
