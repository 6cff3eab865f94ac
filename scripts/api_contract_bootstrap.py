"""Signs up an Admin on a fresh Switchboard server, creates a workspace and an
Admin API token through the public surface (the sign-up form and the JSON
API), and prints the token. Used by scripts/api-contract. Standard library only."""
import http.cookiejar
import json
import re
import sys
import urllib.parse
import urllib.request

base = sys.argv[1].rstrip("/")
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def call(method, path, body=None, headers=None, form=False):
    data = None
    headers = dict(headers or {})
    if body is not None:
        if form:
            data = urllib.parse.urlencode(body).encode()
            headers["content-type"] = "application/x-www-form-urlencoded"
        else:
            data = json.dumps(body).encode()
            headers["content-type"] = "application/json"
    req = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    with opener.open(req) as res:
        return res.read().decode()


signup = call("GET", "/signup")
csrf = re.search(r'name="_csrf" value="([^"]+)"', signup).group(1)
call("POST", "/signup", {"name": "Contract Admin", "email": "contract@example.com",
                         "password": "correct horse battery", "_csrf": csrf}, form=True)
me = json.loads(call("GET", "/api/v1/me"))
h = {"x-csrf-token": me["csrf_token"]}
ws = json.loads(call("POST", "/api/v1/workspaces", {"name": "Contract Workspace"}, h))
call("POST", f"/api/v1/workspaces/{ws['id']}/switch", None, h)
token = json.loads(call("POST", "/api/v1/tokens", {"name": "schemathesis", "role": "admin"}, h))
print(token["token"])
